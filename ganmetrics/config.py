"""Settings and defaults in one place.

- ``DEFAULTS``: every default a metric, the API, the CLI and the gate share (seed, IS splits, KID
  subsets, k of precision/recall and density/coverage, bootstrap resamples, the Fréchet route,
  the resize mode, the feature network). The API signatures, the CLI options and the gate's TOML
  keys read this table; nothing else repeats a default.
- ``Extraction``: how images become features (network, weights, device, resize, layout, batch,
  workers, progress). Frozen; building one has no side effects (torch.distributed is initialised
  by the entry points, see ``ganmetrics.distributed.init_from_env``).
- ``InputPolicy``: how inputs are opened (dataset root and download, unreadable-file policy, pixel
  limit).
- ``resolve_device``: the one reader of ``device="auto"``.

This module imports neither torch nor numpy at import time, so that the CLI can read defaults
for ``--help`` without paying for them.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

from .errors import InputError


RESIZE_MODES = ("tf1", "pytorch-fid", "clean")  # Inception preprocessing (see preprocess.py)
SQRTM_METHODS = ("auto", "cholesky", "lowrank", "eigvals", "scipy", "eigh")  # Fréchet routes (see metrics/frechet.py)
# names the CLI offers as choices, here so that ``--help`` imports no torch; the modules that
# implement them import these (tests/cli/test_main.py checks the trainers' tables against them)
OUTPUT_RANGES = {"-1,1": (-1.0, 1.0), "0,1": (0.0, 1.0), "0,255": (0.0, 255.0)}  # generator output (inputs/sources.py)
STATE_DICT_KEYS = ("generator", "g_ema", "state_dict", "model", "G")  # tried in a checkpoint (generators.py)
W1_METHODS = ("critic-gp", "critic-clip", "exact", "sliced")  # Wasserstein-1 estimators (transport.py)
TRAIN_ALGORITHMS = ("gan", "nsgan", "wgan", "wgan-gp")  # train/algorithms.py ALGORITHMS
TRAIN_PRESETS = ("paper", "toy", "progan")  # train/algorithms.py PRESETS
TOYS = ("8gaussians", "25gaussians", "swissroll", "lines")  # 2-D toy data (train/data.py)
IMAGE_SETS = ("shapes32",)  # built-in image data (train/data.py)


@dataclass(frozen=True)
class Defaults:
    """The defaults of the papers and reference implementations (docs/metrics.md says why each)."""

    seed: int = 2020              # torch-fidelity's KID seed: same seed, same subsets, same KID
    splits: int = 10              # IS: Salimans et al. 2016, 10 splits of the samples
    is_order: str = "random"      # IS splits after a seeded permutation ("file": the original code's file order)
    kid_subsets: int = 100        # KID: Bińkowski et al. 2018 / torch-fidelity, 100 subsets ...
    kid_subset_size: int = 1000   # ... of 1000 samples
    k_pr: int = 3                 # precision/recall: Kynkäänniemi et al. 2019, k = 3
    k_dc: int = 5                 # density/coverage: Naeem et al. 2020, k = 5
    n_boot: int = 100             # bootstrap resamples for --ci
    sqrtm: str = "auto"           # the Fréchet route (see metrics/frechet.py)
    resize: str = "tf1"           # TTUR's TensorFlow-1 resize (paper numbers)
    features: str = "inception-v3-fid"   # the FID network
    batch_size: int = 50          # pytorch-fid's default batch
    device: str = "auto"


DEFAULTS = Defaults()


def default_workers() -> int:
    """Image-decoding worker processes when none is given: min(4, CPU count)."""
    return min(4, os.cpu_count() or 1)


@dataclass(frozen=True)
class Extraction:
    """How images become features. Every field has the CLI flag of the same name.

    ``features``: a registered extractor name or ``module:function`` (see
    ``ganmetrics.register_extractor``); ``weights``: a weights file, None for the standard file
    (found in $GANMETRICS_*_WEIGHTS or the cache, else downloaded and verified); ``device``:
    ``auto``, ``cpu``, ``cuda`` or ``cuda:N``; ``resize``: ``tf1``, ``pytorch-fid`` or ``clean``
    (Inception only); ``channels_last``: the fast path, NHWC convolutions (and, for Inception,
    batch norms folded into them; float32 rounding differs from the peers' NCHW path by about
    1e-6 relative); ``workers``: decoding processes (None: ``default_workers()``);
    ``tf32``: let GPU convolutions and matmuls run in TF32 (default: full float32).
    """

    features: str = DEFAULTS.features
    weights: str | None = None
    device: str = DEFAULTS.device
    resize: str = DEFAULTS.resize
    batch_size: int = DEFAULTS.batch_size
    workers: int | None = None
    progress: bool = False
    channels_last: bool = True
    tf32: bool = False  # TF32 on the GPU: opt-in, recorded in the metadata (features/precision.py)

    def replace(self, **changes) -> "Extraction":
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class InputPolicy:
    """How inputs are opened: ``root``/``download`` for dataset names (``cifar10:train``), the
    unreadable-file policy (stop, or skip up to a fraction ``max_invalid``), and the pixel limit
    against decompression bombs (None: Pillow's, 0: none)."""

    root: str | None = None
    download: bool = False
    skip_invalid: bool = False
    max_invalid: float = 0.01
    max_pixels: int | None = None

    def replace(self, **changes) -> "InputPolicy":
        return dataclasses.replace(self, **changes)


def resolve_device(device="auto"):
    """``"auto"`` -> CUDA when available, else the CPU; anything else is checked. Returns a
    ``torch.device``. Raises ``InputError`` for a malformed name or CUDA on a machine without it."""
    import torch  # here, not at the top: reading defaults must not import torch (CLI start-up)

    if isinstance(device, torch.device):
        dev = device
    elif str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        try:
            dev = torch.device(device)
        except (RuntimeError, TypeError):
            raise InputError(f"--device {device!r}: not a device (use auto, cpu, cuda or cuda:N)") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"--device {device}: CUDA is not available on this machine (use --device cpu)")
    return dev


__all__ = ["RESIZE_MODES", "SQRTM_METHODS", "DEFAULTS", "Defaults", "Extraction", "InputPolicy", "resolve_device", "default_workers"]
