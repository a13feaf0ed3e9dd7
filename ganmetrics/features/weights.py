"""Find, download and verify the weights of the built-in feature networks.

``MANIFEST`` is the one place that names each network's official file: URL, file name, sha256
and environment variable. ``find_network_weights(network, explicit)`` searches, in order:

For the Inception weights (``find_weights``), and the same for every network:
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
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..errors import DownloadError, WeightsError, display_name
from ..io import download, sha256_of  # noqa: F401  (sha256_of is part of this module's API)
from ..io import download as _download

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
    """Return the path of the weights file, downloading it into the cache if needed.
    ``explicit`` may also be ``--weights``' ``NAME=PATH[,...]`` form (see ``weights_for``)."""
    explicit = weights_for("inception-v3-fid", explicit)
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


@dataclass(frozen=True)
class WeightsEntry:
    """The official weights file of one network. ``sha256`` None: not pinned yet (the file is
    never downloaded automatically; a user-supplied file is accepted and its hash recorded)."""

    network: str
    url: str
    filename: str
    sha256: str | None
    env_var: str
    source: str


# OpenAI publishes each CLIP file under a folder named by the file's sha256 (their clip.py checks it).
# The DINOv2 files are published without a hash; theirs is left unpinned until measured on a machine
# with network access (then: fill in sha256, and the automatic download is enabled).
MANIFEST: dict[str, WeightsEntry] = {e.network: e for e in (
    WeightsEntry("inception-v3-fid", WEIGHTS_URL, WEIGHTS_FILENAME, WEIGHTS_SHA256, ENV_VAR,
                 "pytorch-fid release (TF Inception 2015-12-05 ported)"),
    WeightsEntry("dinov2-vitl14", "https://dl.fbaipublicfiles.com/dinov2/dinov2_vitl14/dinov2_vitl14_pretrain.pth",
                 "dinov2_vitl14_pretrain.pth", None, "GANMETRICS_DINOV2_VITL14_WEIGHTS",
                 "facebookresearch/dinov2 (torch.hub dinov2_vitl14 loads this file)"),
    WeightsEntry("dinov2-vitb14", "https://dl.fbaipublicfiles.com/dinov2/dinov2_vitb14/dinov2_vitb14_pretrain.pth",
                 "dinov2_vitb14_pretrain.pth", None, "GANMETRICS_DINOV2_VITB14_WEIGHTS",
                 "facebookresearch/dinov2 (torch.hub dinov2_vitb14 loads this file)"),
    WeightsEntry("clip-vitl14-336", "https://openaipublic.azureedge.net/clip/models/"
                 "3035c92b350959924f9f00213499208652fc7ea050643e8b385c2dac08641f02/ViT-L-14-336px.pt",
                 "ViT-L-14-336px.pt", "3035c92b350959924f9f00213499208652fc7ea050643e8b385c2dac08641f02",
                 "GANMETRICS_CLIP_VITL14_336_WEIGHTS", "openai/CLIP clip.load('ViT-L/14@336px')"),
    WeightsEntry("clip-vitb32", "https://openaipublic.azureedge.net/clip/models/"
                 "40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af/ViT-B-32.pt",
                 "ViT-B-32.pt", "40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af",
                 "GANMETRICS_CLIP_VITB32_WEIGHTS", "openai/CLIP clip.load('ViT-B/32')"),
)}


def weights_for(network: str, spec: str | os.PathLike | None) -> str | None:
    """The explicit weights of ``network`` in a ``--weights`` value: a plain path (one network),
    or ``NAME=PATH[,NAME=PATH...]`` naming networks (None when ``network`` is not among them).
    An existing file whose name holds ``=`` or ``,`` is taken as a plain path."""
    if spec is None:
        return None
    spec = os.fspath(spec)
    if os.path.isfile(spec):
        return spec
    parts = [p for p in spec.split(",") if p]
    named = [p.split("=", 1) for p in parts if _NAMED.fullmatch(p)]
    if not named:
        return spec
    if len(named) != len(parts):
        raise WeightsError(f"--weights {spec!r}: mix of NAME=PATH and plain paths; give NAME=PATH for each network")
    return dict(named).get(network)


_NAMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@+:-]*=.+")  # an extractor name (registry._NAME, or module:function)


def how_to_provide_for(entry: WeightsEntry) -> str:
    return (f"download {entry.url} and pass it with --weights {entry.network}=FILE (or set {entry.env_var}=FILE, "
            f"or place it at {cache_dir() / entry.filename})")


def find_network_weights(network: str, explicit: str | os.PathLike | None = None, download: bool = True) -> Path:
    """The weights file of a built-in ``network``: explicit path (``--weights [NAME=]PATH``),
    then ``entry.env_var``, then the cache, then a verified, atomic download of the official file
    (only when its sha256 is pinned). Raises ``WeightsError`` (one line naming the URL, the
    variable and the cache path) when none is found."""
    entry = MANIFEST[network]
    explicit = weights_for(network, explicit)
    for origin, candidate in (("--weights", explicit), (entry.env_var, os.environ.get(entry.env_var))):
        if candidate:
            path = Path(candidate).expanduser()
            if not path.is_file():
                raise WeightsError(f"{path}: {network} weights file not found (given by {origin})")
            return path
    cached = cache_dir() / entry.filename
    if cached.is_file():
        return cached
    if not download or entry.sha256 is None:
        why = " (its sha256 is not pinned in ganmetrics' manifest, so it is not downloaded automatically)" \
            if download else ""
        raise WeightsError(f"{network} weights not found{why}; {how_to_provide_for(entry)}")
    try:
        _download(entry.url, cached, entry.sha256)
    except DownloadError as e:
        if "sha256" in str(e):
            raise WeightsError(str(e)) from None
        raise WeightsError(f"{network} weights not found and the download failed ({e}); "
                           f"{how_to_provide_for(entry)}") from None
    return cached
