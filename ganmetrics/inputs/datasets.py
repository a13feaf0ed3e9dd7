"""Standard datasets by name, read from a local copy through torchvision (``download=False``
unless asked), as an ``ImageSource``: ``cifar10:train``, ``cifar100:test``, ``mnist:train``,
``fashion-mnist:test``, ``stl10:unlabeled``..., and the bundled procedural ``shapes32:train``
(10,000 images, seed 0) / ``shapes32:test`` (2,000, seed 1), which need no copy.

torchvision checks the CIFAR and STL-10 files against their published md5 sums before reading
them (CIFAR's python format is a pickle: only the official files are ever unpickled).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ..errors import InputError
from .sources import ImageSource, as_uint8_nchw

#: name -> (torchvision class, folder torchvision expects under the root, splits)
DATASETS = {
    "cifar10": ("CIFAR10", "cifar-10-batches-py", ("train", "test")),
    "cifar100": ("CIFAR100", "cifar-100-python", ("train", "test")),
    "mnist": ("MNIST", "MNIST/raw", ("train", "test")),
    "fashion-mnist": ("FashionMNIST", "FashionMNIST/raw", ("train", "test")),
    "stl10": ("STL10", "stl10_binary", ("train", "test", "unlabeled", "train+unlabeled")),
    "shapes32": (None, None, ("train", "test")),  # bundled, procedural: no copy needed
}
SHAPES32_SIZES = {"train": (10000, 0), "test": (2000, 1)}  # (N, seed)


def parse_spec(spec) -> tuple[str, str] | None:
    """'cifar10:train' -> ('cifar10', 'train'); None for anything that is not a dataset name."""
    if not isinstance(spec, str) or ":" not in spec or os.path.exists(spec):
        return None
    name, split = spec.split(":", 1)
    return (name.lower(), split.lower()) if name.lower() in DATASETS else None


def load(name: str, split: str, root: str | os.PathLike | None, download: bool = False) -> ImageSource:
    cls_name, folder, splits = DATASETS[name]
    if split not in splits:
        raise InputError(f"{name}:{split}: unknown split (choose from {', '.join(splits)})")
    if name == "shapes32":
        n, seed = SHAPES32_SIZES[split]
        return ImageSource(f"shapes32:{split}", array=as_uint8_nchw(shapes32(n, seed), f"shapes32:{split}"))
    if root is None:
        raise InputError(f"{name}:{split}: pass --root DIR, the folder that holds torchvision's {folder}/")
    import torchvision.datasets as tvd  # here: a slow import, needed only for named datasets
    cls = getattr(tvd, cls_name)
    kwargs = {"split": split} if name == "stl10" else {"train": split == "train"}
    try:
        ds = cls(root=str(Path(root).expanduser()), download=download, **kwargs)
    except RuntimeError as e:
        raise InputError(f"{name}:{split}: no usable copy under {root} (torchvision expects {Path(root) / folder}; "
                         f"{str(e).splitlines()[0]}); get it with --download or place it there") from None
    return ImageSource(f"{name}:{split}", array=as_uint8_nchw(ds.data, f"{name}:{split}"))


SHAPES = ("disc", "square", "triangle")
COLOURS = ((230, 60, 50), (60, 200, 80), (70, 110, 240), (240, 210, 60))


def shapes32(n: int, seed: int = 0, size: int = 32, labels: bool = False):
    """uint8 n x size x size x 3 images of coloured shapes (12 modes: 3 shapes x 4 colours);
    with ``labels``, also each image's mode, shape index · 4 + colour index (int64, n), the
    classes of ``ganmetrics.train.data.classify_shapes``."""
    rng = np.random.default_rng(seed)
    out = np.zeros((n, size, size, 3), dtype=np.uint8)
    modes = np.zeros(n, dtype=np.int64)
    for i in range(n):
        img = Image.new("RGB", (size, size))
        draw = ImageDraw.Draw(img)
        s_idx, c_idx = rng.integers(3), rng.integers(4)
        modes[i] = s_idx * len(COLOURS) + c_idx
        shape, colour = SHAPES[s_idx], COLOURS[c_idx]
        r = rng.uniform(0.2, 0.35) * size
        cx, cy = rng.uniform(r, size - r, 2)
        if shape == "disc":
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
        elif shape == "square":
            draw.rectangle([cx - r, cy - r, cx + r, cy + r], fill=colour)
        else:
            draw.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=colour)
        out[i] = np.asarray(img)
    return (out, modes) if labels else out
