"""The feature cache: one ``.npz`` per (input content, feature space), under
``$GANMETRICS_CACHE/features`` (default ``~/.cache/ganmetrics/features``).

The key hashes the input's content (folders: each file's relative path and bytes; arrays:
their bytes), the extractor's metadata (network, weights sha256, preprocessing, layout)
and the cache format version, so a changed folder, weights file or preprocessing never returns
stale features. Files are written atomically; an unreadable cache file is a miss.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from ..inputs.sources import ImageSource, content_fingerprint
from ..io import load_npz, save_npz
from .weights import cache_dir

VERSION = 4  # 2: outputs stored by role (features, logits) for any network; 3: channels_last Inception folds its
# batch norms; 4: and pools its 1x1 pooling branches after the convolution (float32 rounding differs)


def fingerprint(source: ImageSource, x) -> str:
    """What identifies an input's content: every file's relative name and bytes (BLAKE2b, see
    ``inputs.sources.content_fingerprint``), or the array's bytes."""
    return content_fingerprint(source, x if source.files is not None else None)


def path_for(source: ImageSource, x, extractor_metadata: dict) -> Path:
    key = hashlib.sha256(json.dumps([fingerprint(source, x), extractor_metadata, VERSION],
                                    sort_keys=True).encode()).hexdigest()[:32]
    return cache_dir() / "features" / f"{key}.npz"


def load(path: Path, roles) -> dict[str, np.ndarray] | None:
    if not path.is_file():
        return None
    try:
        data = load_npz(path)
        return {role: data[role] for role in roles}
    except Exception:  # a torn or foreign file: recompute (and overwrite it)
        return None


def save(path: Path, outputs: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    save_npz(path, **outputs)
