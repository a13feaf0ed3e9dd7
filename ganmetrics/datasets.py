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

from .errors import InputError
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
        from .train.data import shapes32
        n, seed = SHAPES32_SIZES[split]
        return ImageSource(f"shapes32:{split}", array=as_uint8_nchw(shapes32(n, seed), f"shapes32:{split}"))
    if root is None:
        raise InputError(f"{name}:{split}: pass --root DIR, the folder that holds torchvision's {folder}/")
    import torchvision.datasets as tvd
    cls = getattr(tvd, cls_name)
    kwargs = {"split": split} if name == "stl10" else {"train": split == "train"}
    try:
        ds = cls(root=str(Path(root).expanduser()), download=download, **kwargs)
    except RuntimeError as e:
        raise InputError(f"{name}:{split}: no usable copy under {root} (torchvision expects {Path(root) / folder}; "
                         f"{str(e).splitlines()[0]}); get it with --download or place it there") from None
    return ImageSource(f"{name}:{split}", array=as_uint8_nchw(ds.data, f"{name}:{split}"))
