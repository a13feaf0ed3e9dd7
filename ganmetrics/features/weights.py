"""Find, download and verify the FID Inception weights.

Search order:
1. an explicit path (``--weights FILE`` / ``weights=``);
2. the environment variable ``GANMETRICS_INCEPTION_WEIGHTS``;
3. the cache: ``$GANMETRICS_CACHE``, else ``$XDG_CACHE_HOME/ganmetrics``, else
   ``~/.cache/ganmetrics``, file ``pt_inception-2015-12-05-6726825d.pth``;
4. a download of pytorch-fid's published file into the cache, verified by sha256 and
   written atomically (a failed or wrong download leaves nothing behind).

Files given explicitly (1, 2) are not required to carry the standard hash (fine-tuned or test
weights are legitimate), nor is a file placed in the cache by hand; but any file whose sha256 is
not the standard one is named in a one-line warning (its FIDs are not comparable with published
ones), and every result records ``weights_sha256`` and ``standard_weights: false``. Weights that
contain NaN or infinite values are refused, naming the file and the tensor.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

from ..errors import DownloadError, WeightsError, display_name
from ..io import download, sha256_of  # noqa: F401  (sha256_of is part of this module's API)

WEIGHTS_URL = ("https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/"
               "pt_inception-2015-12-05-6726825d.pth")
WEIGHTS_FILENAME = "pt_inception-2015-12-05-6726825d.pth"
# The file name carries the first 8 hex digits of this hash (the torch.hub convention).
WEIGHTS_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
ENV_VAR = "GANMETRICS_INCEPTION_WEIGHTS"


def cache_dir() -> Path:
    if os.environ.get("GANMETRICS_CACHE"):
        return Path(os.environ["GANMETRICS_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ganmetrics"


def how_to_provide() -> str:
    return (f"download {WEIGHTS_URL} and pass it with --weights FILE (or set {ENV_VAR}=FILE, "
            f"or place it at {cache_dir() / WEIGHTS_FILENAME})")


def find_weights(explicit: str | os.PathLike | None = None, download: bool = True) -> Path:
    """Return the path of the weights file, downloading it into the cache if needed."""
    for origin, candidate in (("--weights", explicit), (ENV_VAR, os.environ.get(ENV_VAR))):
        if candidate:
            path = Path(candidate).expanduser()
            if not path.is_file():
                raise WeightsError(f"{path}: weights file not found (given by {origin})")
            return path
    cached = cache_dir() / WEIGHTS_FILENAME
    if cached.is_file():
        return cached
    if not download:
        raise WeightsError(f"Inception weights not found; {how_to_provide()}")
    download_file(WEIGHTS_URL, cached, WEIGHTS_SHA256)
    return cached


_warned: set[str] = set()


def check_weights(path, state: dict, sha: str) -> None:
    """Refuse weights with NaN or infinite values (naming the file and tensor: otherwise they
    surface later as "features contain NaN"); warn once per file when they are not the
    standard file (sha256 differs from pytorch-fid's published one)."""
    import torch
    for key, value in state.items():
        if isinstance(value, torch.Tensor) and value.is_floating_point() and not torch.isfinite(value).all():
            raise WeightsError(f"{display_name(path)}: weights contain NaN or infinite values (tensor {key}); "
                               "the file is corrupt")
    if sha != WEIGHTS_SHA256 and str(path) not in _warned:
        _warned.add(str(path))
        warnings.warn(f"{display_name(path)}: not the standard FID Inception weights (sha256 {sha[:8]}..., standard "
                      f"{WEIGHTS_SHA256[:8]}...); its FIDs are comparable only with results made with the same file")


def download_file(url: str, dest: Path, sha256: str) -> None:
    """Download the weights into the cache, verified and atomic; a one-line error otherwise."""
    try:
        download(url, dest, sha256)
    except DownloadError as e:
        if "sha256" in str(e):
            raise WeightsError(str(e)) from None
        raise WeightsError(f"Inception weights not found and the download failed ({e}); {how_to_provide()}") from None
