"""Any input -> an ``ImageSource``: folders, array files, dataset names, arrays and tensors."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from ..errors import InputError, display_name
from . import datasets
from .sources import ImageSource, as_uint8_nchw, list_image_files, load_image_array


def open_images(x, name: str | None = None, root=None, download: bool = False) -> ImageSource:
    """Folder path, ``.npy``/``.npz`` path, dataset name (``cifar10:train``, read under ``root``),
    numpy array or torch tensor -> ImageSource."""
    spec = datasets.parse_spec(x)
    if spec is not None:
        return datasets.load(*spec, root=root, download=download)
    if isinstance(x, (str, os.PathLike)):
        path = Path(x)
        if path.is_dir():
            return ImageSource(name or str(path), files=list_image_files(path))
        if not path.exists():
            raise InputError(f"{display_name(path)}: no such file or directory")
        if path.suffix.lower() in (".npy", ".npz"):
            return ImageSource(name or str(path), array=load_image_array(path))
        raise InputError(f"{display_name(path)}: expected a folder of images, an .npy/.npz array or an .npz stats file")
    if isinstance(x, (np.ndarray, torch.Tensor)):
        return ImageSource(name or "array", array=as_uint8_nchw(x, name or "array"))
    raise InputError(f"unsupported input of type {type(x).__name__}: expected a path, a numpy array or a torch tensor")
