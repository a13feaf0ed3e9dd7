"""Reference statistics by name: the registry in ``reference_stats/manifest.toml``.

``resolve(name)`` returns a verified local copy: the cache's copy if its hash checks out,
otherwise a fresh download (atomic, verified by the manifest's sha256). Entries without a
published sha256 are fetched only with ``trust_first_use=True``, which records the hash seen in
``<cache>/refs/trusted.json``; a later file with another hash is refused.

Manifest hardening: entry names must be plain file names (letters, digits, ``.``, ``_``, ``-``;
no ``/`` or ``..``), since they name the cached file, and only ``https://`` URLs are accepted
and fetched (a ``file://`` or ``http://`` URL would be copied in and, on first use, recorded as
trusted).
"""
from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path

from .errors import DownloadError, InputError, ReferenceStatsError, display_name
from .features.weights import cache_dir
from .io import download, sha256_of, write_text
from .preprocess import RESIZE_MODES
from .stats import GaussianStats

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class Reference:
    name: str
    dataset: str
    split: str
    resolution: str
    n: int
    extractor: str
    resize: str
    source: str
    url: str
    sha256: str
    produced_by: str = ""

    @property
    def filename(self) -> str:
        return f"{self.name}.npz"


REQUIRED = [f.name for f in fields(Reference) if f.name != "produced_by"]
#: what a reference name may be: it becomes a file name in the cache folder
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def load_manifest(text: str | None = None) -> dict[str, Reference]:
    """Parse the manifest (the installed one unless ``text`` is given); check fields and names."""
    if text is None:
        text = resources.files("ganmetrics.reference_stats").joinpath("manifest.toml").read_text("utf-8")
    try:
        entries = tomllib.loads(text).get("stats", [])
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"reference manifest: {e}") from None
    out: dict[str, Reference] = {}
    for i, entry in enumerate(entries):
        missing = [k for k in REQUIRED if k not in entry]
        if missing:
            raise InputError(f"reference manifest entry {i} ({entry.get('name', '?')}): missing {', '.join(missing)}")
        unknown = set(entry) - {f.name for f in fields(Reference)}
        if unknown:
            raise InputError(f"reference manifest entry {entry['name']}: unknown field(s) {', '.join(sorted(unknown))}")
        name = entry["name"]
        if not isinstance(name, str) or not SAFE_NAME.fullmatch(name) or ".." in name:
            raise InputError(f"reference manifest entry {i}: name {display_name(repr(name))} is not a plain file name "
                             "(letters, digits, '.', '_', '-'; no '/', no '..'), so it could write outside the cache")
        url = entry["url"]
        if not isinstance(url, str) or not url.lower().startswith("https://"):
            raise InputError(f"reference manifest entry {name}: url {display_name(repr(url))} is not https; only "
                             "https URLs are fetched (place a local file in the cache by hand instead)")
        if entry["resize"] not in RESIZE_MODES:  # the --resize mode that reproduces the file, by its CLI name
            raise InputError(f"reference manifest entry {name}: resize {display_name(repr(entry['resize']))} is not a "
                             f"--resize mode ({', '.join(RESIZE_MODES)})")
        if entry["name"] in out:
            raise InputError(f"reference manifest: duplicate name {entry['name']}")
        out[entry["name"]] = Reference(**{k: (str(v) if k == "resolution" else v) for k, v in entry.items()})
    return out


def refs_dir() -> Path:
    return cache_dir() / "refs"


def _trusted() -> dict[str, str]:
    path = refs_dir() / "trusted.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def _record_trust(name: str, sha: str) -> None:
    trusted = _trusted()
    trusted[name] = sha
    refs_dir().mkdir(parents=True, exist_ok=True)
    write_text(refs_dir() / "trusted.json", json.dumps(trusted, indent=1, sort_keys=True))


def lookup(name: str, manifest: dict[str, Reference] | None = None) -> Reference:
    manifest = manifest if manifest is not None else load_manifest()
    if name not in manifest:
        raise ReferenceStatsError(f"--ref {name}: unknown reference (see 'ganmetrics refs list')")
    return manifest[name]


def resolve(name: str, trust_first_use: bool = False, manifest: dict[str, Reference] | None = None) -> Path:
    """Local path of a verified copy of reference ``name``, downloading it if needed."""
    ref = lookup(name, manifest)
    path = refs_dir() / ref.filename
    if not SAFE_NAME.fullmatch(ref.name) or ".." in ref.name or path.parent != refs_dir():
        raise ReferenceStatsError(f"--ref {display_name(name)}: not a plain file name; refused")
    if not ref.url.lower().startswith("https://"):
        raise ReferenceStatsError(f"--ref {display_name(name)}: {display_name(ref.url)} is not an https URL; only https "
                                  f"is fetched (place the file at {path} by hand)")
    expected = ref.sha256 or _trusted().get(name)
    if path.is_file():
        seen = sha256_of(path)
        if expected is None or seen == expected:
            if expected is None:  # placed by hand, never trusted before: trust it now, as the user did
                _record_trust(name, seen)
            return path
        raise ReferenceStatsError(f"{path}: sha256 {seen} does not match the {'manifest' if ref.sha256 else 'recorded'} "
                              f"{expected}; delete the file to fetch it again")
    if expected is None and not trust_first_use:
        raise ReferenceStatsError(f"--ref {name}: the manifest has no sha256 for {ref.url}; pass --trust-first-use to "
                              "fetch it and record the hash it has now")
    try:
        seen = download(ref.url, path, expected)
    except DownloadError as e:
        raise ReferenceStatsError(f"--ref {name}: {e}; offline, download it elsewhere and place it at {path}") from None
    if expected is None:
        _record_trust(name, seen)
    return path


def reference_for_sha256(sha: str, manifest: dict[str, Reference] | None = None) -> Reference | None:
    """The known reference whose file has this sha256 (the manifest's hash, or the hash recorded
    on first use), else None."""
    manifest = manifest if manifest is not None else load_manifest()
    trusted = _trusted()
    for ref in manifest.values():
        if sha and sha in (ref.sha256, trusted.get(ref.name)):
            return ref
    return None


def load_reference(name: str, trust_first_use: bool = False) -> GaussianStats:
    """The reference's statistics, with the manifest's extractor and resize mode as metadata."""
    ref = lookup(name)  # the manifest's resize is a --resize mode (checked when it is parsed)
    stats = GaussianStats.load(resolve(name, trust_first_use))
    stats.metadata.update(extractor=ref.extractor, resize=ref.resize, source=f"--ref {name}")
    stats.path = f"--ref {name}"
    stats.metadata.pop("weights_sha256", None)  # the TF original: no PyTorch weights file to compare
    return stats


def known_metadata(path) -> dict:
    """Metadata of a file without any: a known reference file (by sha256) gets its manifest
    protocol; any other gets none (the protocol is then assumed by ``assume_protocol``)."""
    try:
        ref = reference_for_sha256(sha256_of(path))
    except (OSError, InputError):
        return {}
    if ref is None:
        return {}
    return {"extractor": ref.extractor, "resize": ref.resize, "reference": ref.name,
            "protocol_from": f"reference manifest ({ref.name}, recognised by sha256)"}


def load_stats(path) -> GaussianStats:
    """``GaussianStats.load``, recognising a known reference file without metadata by its sha256."""
    return GaussianStats.load(path, identify=known_metadata)
