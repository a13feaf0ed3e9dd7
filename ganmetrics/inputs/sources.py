"""Every kind of image input -> uint8 N x 3 x H x W batches, and the validation of those inputs.

Kinds: a folder of image files (recursive, sorted by relative path), an ``.npy`` / ``.npz``
image array, or an in-memory numpy array / torch tensor.

Array rules (files and in-memory alike):

* shape N x H x W x C or N x C x H x W with C in {1, 3, 4} (channels-last is tried first,
  unless only dimension 1 fits), or N x H x W for grayscale; 1 channel is repeated to RGB,
  a 4th channel (alpha) is dropped;
* dtype uint8 as is; other integer types if every value is in 0..255; floating point if every
  value is in [0, 1], mapped to uint8 by ``round(255 * x)``. NaN, inf or values out of range
  are refused.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from .. import config
from ..errors import InputError, display_name
from ..io import load_npy, load_npz, require_regular_file

#: left in a folder by ``ganmetrics sample`` while it writes; removed when the run finishes
INCOMPLETE_MARKER = ".ganmetrics-incomplete"
IMAGE_EXTENSIONS = (".bmp", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp")
ARRAY_IMAGE_KEYS = ("images", "arr_0", "x", "samples")


# ----------------------------------------------------------------------------- decoding


MIN_SIDE = 4  # below this an image carries no usable content for a 299x299 network
DEFAULT_MAX_PIXELS = Image.MAX_IMAGE_PIXELS  # Pillow's decompression-bomb limit (about 89 megapixels)


@contextlib.contextmanager
def _pixel_limit(max_pixels: int | None):
    """Pillow's limit, with its warning made an error: a bomb is refused, not decoded.
    ``max_pixels=0`` lifts the limit (trusted inputs only)."""
    old = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = (max_pixels or None) if max_pixels is not None else DEFAULT_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS = old


def decode_image(path: str | os.PathLike, max_pixels: int | None = None) -> np.ndarray:
    """Read one image file as uint8 H x W x 3 (RGB).

    Pixel formats (Pillow modes) and how they become uint8 RGB:

    * 8-bit: RGB as is; L, 1 (0/255), P, PA, LA, RGBA, RGBX, CMYK, YCbCr, HSV, LAB by Pillow's
      ``convert("RGB")`` (alpha dropped, CMYK as (255 - C)(255 - K) / 255);
    * 16-bit, grey (I;16, I;16B, I;16L, I) and colour (RGB/RGBA/LA PNG and TIFF) alike:
      ``round(v / 257)`` (65535 -> 255). Pillow keeps only the high byte of 16-bit colour
      (``v >> 8``), so their low bytes are decoded in a second pass and the two combined;
    * 32-bit float (F, e.g. float TIFF): values in [0, 1] -> ``round(255 v)``, as for float
      arrays; NaN, inf or values outside [0, 1] are refused;
    * anything else (La, RGBa, I;32, multi-channel float, ...) is refused by name.

    Anything that is not a regular file (a FIFO, socket or device would block) is refused.
    Images of more than ``max_pixels`` pixels (default: Pillow's decompression-bomb limit;
    0 = none) or under 4 pixels on a side are refused.
    """
    try:
        require_regular_file(path)
        with _pixel_limit(max_pixels), Image.open(path) as img:
            if min(img.size) < MIN_SIDE:
                raise InputError(f"{display_name(path)}: {img.size[0]}x{img.size[1]} pixels, below the minimum of "
                                 f"{MIN_SIDE} on a side")
            wide = _sixteen_bit_colour(img)
            img.load()
            if wide is not None:
                return _decode_sixteen_bit_colour(path, img, wide)
            if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
                # 16-bit grayscale (PNG gives mode I;16 or I): scale 0..65535 -> 0..255.
                a = np.asarray(img).astype(np.float64)
                lo, hi = float(a.min()), float(a.max())
                if lo < 0 or hi > 65535:
                    raise InputError(f"{display_name(path)}: {img.mode} image with values in [{lo:.0f}, {hi:.0f}], "
                                     "outside the 16-bit range 0..65535; convert it to 8 or 16 bits")
                a = np.rint(a / 257.0).astype(np.uint8)
                return np.repeat(a[:, :, None], 3, axis=2)
            if img.mode == "F":
                a = np.asarray(img, dtype=np.float64)
                if not np.isfinite(a).all():
                    raise InputError(f"{display_name(path)}: float image contains NaN or infinite values")
                lo, hi = float(a.min()), float(a.max())
                if lo < 0 or hi > 1:
                    raise InputError(f"{display_name(path)}: float image with values in [{lo:.4g}, {hi:.4g}]; "
                                     "float images must lie in [0, 1]")
                a = np.rint(a * 255).astype(np.uint8)
                return np.repeat(a[:, :, None], 3, axis=2)
            if img.mode not in CONVERTIBLE_MODES:
                raise InputError(f"{display_name(path)}: pixel format {img.mode} is not supported "
                                 f"(supported: {', '.join(CONVERTIBLE_MODES)}, 16-bit grey and colour, float F); "
                                 "convert the image to 8-bit RGB")
            if img.mode != "RGB":
                img = img.convert("RGB")
            return np.asarray(img, dtype=np.uint8).copy()
    except InputError:
        raise
    except FileNotFoundError:
        raise InputError(f"{display_name(path)}: no such file") from None
    except PermissionError:
        raise InputError(f"{display_name(path)}: permission denied") from None
    except IsADirectoryError:
        raise InputError(f"{display_name(path)}: is a directory, not an image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise InputError(f"{display_name(path)}: refused as a possible decompression bomb ({_first_line(e)}); "
                         "raise the limit with --max-pixels if you trust it") from None
    except UnidentifiedImageError:
        raise InputError(f"{display_name(path)}: not a readable image (corrupt or not an image file)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise InputError(f"{display_name(path)}: cannot decode image ({_first_line(e)})") from None


#: 8-bit modes whose ``convert("RGB")`` gives the right values
CONVERTIBLE_MODES = ("RGB", "RGBA", "RGBX", "L", "LA", "1", "P", "PA", "CMYK", "YCbCr", "HSV", "LAB")


def _tile_rawmode(tile) -> str | None:
    args = tile.args if hasattr(tile, "args") else tile[3]
    raw = args if isinstance(args, str) else (args[0] if isinstance(args, tuple) and args and
                                              isinstance(args[0], str) else None)
    return raw


def _sixteen_bit_colour(img) -> list | None:
    """The tiles of a 16-bit-per-channel colour image that Pillow would truncate to 8 bits
    (rawmodes like RGB;16B, RGBA;16L, LA;16B), else None."""
    if img.mode not in ("RGB", "RGBA", "LA"):
        return None
    tiles = list(getattr(img, "tile", []) or [])
    raws = [_tile_rawmode(t) for t in tiles]
    if tiles and all(r and r.endswith((";16B", ";16L", ";16N")) for r in raws):
        return tiles
    if any(r and ";16" in r for r in raws):
        raise InputError(f"{display_name(img.filename)}: 16-bit {img.mode} image stored as {raws[0]}, which cannot be "
                         "decoded to exact 8-bit values; convert it to 8-bit RGB")
    return None


def _swap_endianness(tile):
    raw = _tile_rawmode(tile)
    swapped = raw[:-1] + {"B": "L", "L": "B", "N": "B" if sys.byteorder == "little" else "L"}[raw[-1]]
    args = tile.args if hasattr(tile, "args") else tile[3]
    args = swapped if isinstance(args, str) else (swapped, *args[1:])
    return tile._replace(args=args) if hasattr(tile, "_replace") else (*tile[:3], args)


def _decode_sixteen_bit_colour(path, img, tiles) -> np.ndarray:
    """Exact ``round(v / 257)`` of a 16-bit colour image: Pillow's decode gives the high bytes;
    decoding the same data with the byte order swapped gives the low bytes."""
    high = np.asarray(img.convert("RGB") if img.mode != "RGB" else img, dtype=np.uint16)
    with Image.open(path) as again:
        again.tile = [_swap_endianness(t) for t in tiles]
        try:
            again.load()
        except (ValueError, OSError) as e:
            raise InputError(f"{display_name(path)}: 16-bit {img.mode} image ({_tile_rawmode(tiles[0])}) cannot be "
                             f"decoded to exact 8-bit values ({_first_line(e)}); convert it to 8-bit RGB") from None
        low = np.asarray(again.convert("RGB") if again.mode != "RGB" else again, dtype=np.uint16)
    v = high.astype(np.float64) * 256 + low
    return np.rint(v / 257.0).astype(np.uint8)


def _first_line(e: BaseException) -> str:
    return str(e).splitlines()[0] if str(e) else type(e).__name__


def list_image_files(folder: str | os.PathLike) -> list[Path]:
    """Image files below ``folder`` (recursively), sorted by their path relative to it.

    Hidden files and folders (name starting with '.') are ignored; any other file that is not
    an image is an error, since silently ignoring it could silently change N, and so is an image
    name that is not a regular file (a FIFO, socket, device or broken link), which would block
    or fail the decoder. A folder holding ``INCOMPLETE_MARKER`` (a ``sample`` run that did not
    finish) is refused: it would pass for a smaller complete sample.
    """
    root = Path(folder)
    found: list[tuple[str, Path]] = []
    visited: set[tuple[int, int]] = set()
    # Symlinked folders are followed, each real folder once: a symlink loop cannot recurse forever.
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        st = os.stat(dirpath)
        if (st.st_dev, st.st_ino) in visited:
            dirnames[:] = []
            continue
        visited.add((st.st_dev, st.st_ino))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        if INCOMPLETE_MARKER in filenames:
            marker = Path(dirpath) / INCOMPLETE_MARKER
            raise InputError(f"{display_name(dirpath)}: incomplete output of an interrupted 'ganmetrics sample' run "
                             f"(it holds {display_name(INCOMPLETE_MARKER)}, removed only when a run finishes); "
                             f"delete the folder and sample again, or delete {display_name(marker)} if you know it is complete")
        for name in filenames:
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            if path.suffix.lower() not in IMAGE_EXTENSIONS:
                raise InputError(
                    f"{display_name(path)}: not an image file (supported: {', '.join(IMAGE_EXTENSIONS)}); "
                    "move it out of the folder")
            require_regular_file(path)  # a FIFO named zz.png would block the decoder forever
            found.append((path.relative_to(root).as_posix(), path))
    if not found:
        raise InputError(f"{display_name(root)}: no image files found (supported: {', '.join(IMAGE_EXTENSIONS)})")
    return [p for _, p in sorted(found)]


# ----------------------------------------------------------------------------- arrays


def as_uint8_nchw(array, name: str = "array") -> np.ndarray:
    """Validate an image array (numpy or torch) and return it as uint8 N x 3 x H x W."""
    if isinstance(array, torch.Tensor):
        array = array.detach().cpu().numpy()
    a = np.asarray(array)
    if a.ndim == 3:
        a = a[:, None, :, :]
    if a.ndim != 4:
        raise InputError(f"{display_name(name)}: expected images of shape N x H x W x C or N x C x H x W, got shape {a.shape}")
    if a.shape[-1] in (1, 3, 4) and not (a.shape[1] in (1, 3, 4) and a.shape[-1] not in (1, 3, 4)):
        a = a.transpose(0, 3, 1, 2)
    elif a.shape[1] not in (1, 3, 4):
        raise InputError(f"{display_name(name)}: cannot find a channel axis of size 1, 3 or 4 in shape {a.shape}")
    if a.shape[0] == 0:
        raise InputError(f"{display_name(name)}: contains no images")
    if min(a.shape[2:]) < MIN_SIDE:
        raise InputError(f"{display_name(name)}: images of {a.shape[3]}x{a.shape[2]} pixels, below the minimum of {MIN_SIDE} on a side")
    a = _to_uint8(a, name)
    if a.shape[1] == 1:
        a = np.repeat(a, 3, axis=1)
    elif a.shape[1] == 4:
        a = a[:, :3]
    return np.ascontiguousarray(a)


def _to_uint8(a: np.ndarray, name: str) -> np.ndarray:
    if a.dtype == np.uint8:
        return a
    if a.dtype == np.bool_ or a.dtype.kind not in "iuf":
        raise InputError(f"{display_name(name)}: unsupported dtype {a.dtype} (use uint8, or float in [0, 1])")
    if a.dtype.kind == "f":
        if not np.isfinite(a).all():
            raise InputError(f"{display_name(name)}: contains NaN or infinite values")
        lo, hi = float(a.min()), float(a.max())
        if lo < 0 or hi > 1:
            raise InputError(f"{display_name(name)}: float images must lie in [0, 1], found values in [{lo:.4g}, {hi:.4g}]")
        return np.rint(a * 255).astype(np.uint8)
    lo, hi = int(a.min()), int(a.max())
    if lo < 0 or hi > 255:
        raise InputError(f"{display_name(name)}: integer images must lie in 0..255, found values in [{lo}, {hi}]")
    return a.astype(np.uint8)


def load_image_array(path: str | os.PathLike) -> np.ndarray:
    """Images from an ``.npy`` file, or from an ``.npz`` file's single array (or its
    ``images`` / ``arr_0`` / ``x`` / ``samples`` key)."""
    path = Path(path)
    if path.suffix.lower() == ".npy":
        return as_uint8_nchw(load_npy(path), str(path))
    arrays = load_npz(path)
    if "mu" in arrays or "sigma" in arrays:  # a statistics file missing one of its two arrays
        has, lacks = ("mu", "sigma") if "mu" in arrays else ("sigma", "mu")
        raise InputError(f"{display_name(path)}: a statistics file with '{has}' but no '{lacks}' (keys: "
                         f"{', '.join(sorted(arrays))}); statistics need both")
    if len(arrays) == 1:
        (array,) = arrays.values()
    else:
        key = next((k for k in ARRAY_IMAGE_KEYS if k in arrays), None)
        if key is None:
            raise InputError(f"{display_name(path)}: .npz with keys {sorted(arrays)}: expected one array, or a key named "
                             f"{' / '.join(ARRAY_IMAGE_KEYS)}, or mu and sigma for statistics")
        array = arrays[key]
    return as_uint8_nchw(array, str(path))


#: a generator's output range -> (low, high), mapped linearly to 0..255
OUTPUT_RANGES = config.OUTPUT_RANGES


def to_uint8(x: torch.Tensor, output_range: str = "-1,1") -> torch.Tensor:
    """A generator's float output in ``output_range`` -> uint8 (rounded, clamped). NaN or inf
    is refused (``InputError``)."""
    lo, hi = OUTPUT_RANGES[output_range]
    if not torch.isfinite(x).all():
        raise InputError("the generator produced NaN or infinite values")
    return ((x.float() - lo) / (hi - lo) * 255).round().clamp(0, 255).to(torch.uint8)


# ----------------------------------------------------------------------------- sources


@dataclass
class ImageSource:
    """A named, ordered collection of images: either files (decoded lazily) or one array."""

    name: str
    files: Sequence[Path] | None = None
    array: np.ndarray | None = None  # uint8 N x 3 x H x W
    skipped: list[str] = field(default_factory=list)  # messages of unreadable files skipped (--skip-invalid)

    def __len__(self) -> int:
        return len(self.files) if self.files is not None else len(self.array)

    def describe(self) -> dict:
        """What identifies this input (for caches and result metadata)."""
        return {"name": self.name, "n": len(self), "kind": "folder" if self.files is not None else "array"}


class _FileDataset(torch.utils.data.Dataset):
    """Decodes in DataLoader workers. Errors travel back as values (not exceptions) so that the
    main process can raise them as one clean line instead of a worker traceback."""

    def __init__(self, files: Sequence[Path], max_pixels: int | None = None):
        self.files, self.max_pixels = files, max_pixels

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int):
        try:
            return torch.from_numpy(decode_image(self.files[i], self.max_pixels).transpose(2, 0, 1).copy()), None
        except InputError as e:
            return None, str(e)


def _collate(items):
    images = [img for img, _ in items if img is not None]
    errors = [err for _, err in items if err is not None]
    if images and all(img.shape == images[0].shape for img in images):
        return torch.stack(images), errors
    return images, errors  # mixed sizes: a list, resized one by one downstream


def iter_batches(source: ImageSource, batch_size: int = 50, workers: int = 0, pin_memory: bool = False,
                 skip_invalid: bool = False, max_pixels: int | None = None
                 ) -> Iterator[torch.Tensor | list[torch.Tensor]]:
    """uint8 N x 3 x H x W batches in source order (a list of 3 x H x W tensors when sizes differ).

    An unreadable file stops the iteration with its ``InputError``, unless ``skip_invalid``:
    then it is left out and its message appended to ``source.skipped``.
    """
    if batch_size < 1:
        raise InputError(f"--batch-size {batch_size}: must be at least 1")
    if workers < 0:
        raise InputError(f"--workers {workers}: must be 0 or more")
    if source.array is not None:
        for start in range(0, len(source.array), batch_size):
            batch = torch.from_numpy(source.array[start:start + batch_size])
            yield batch.pin_memory() if pin_memory else batch
        return
    workers = cap_workers(workers, len(source.files))
    loader = torch.utils.data.DataLoader(
        _FileDataset(source.files, max_pixels), batch_size=batch_size, shuffle=False, num_workers=workers,
        collate_fn=_collate, pin_memory=pin_memory)
    for batch, errors in loader:
        if errors and not skip_invalid:
            raise InputError(errors[0])
        source.skipped.extend(errors)
        if len(batch):
            yield batch


def cpu_count() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def cap_workers(workers: int, n_files: int) -> int:
    """``workers`` capped at the CPU count and at the number of files (more processes than
    either only cost memory and start-up time). A cap below what was asked is said in one line,
    unless the request was no more than the default of min(4, CPUs)."""
    limit = max(0, min(cpu_count(), n_files))
    if workers <= limit:
        return workers
    if workers > min(4, cpu_count()):
        warnings.warn(f"--workers {workers}: capped at {limit} ({cpu_count()} CPUs, {n_files} files)")
    return limit


def content_fingerprint(source: ImageSource, root=None) -> str:
    """What identifies an input's content: for files, the relative name and a fast hash
    (BLAKE2b) of the bytes of every file; for arrays, the hash of the array and its shape.

    Reading every byte costs far less than decoding the images (BLAKE2b ran at 355 MB/s on the
    2-core shared CPU machine with other agents running), and unlike sizes and modification
    times it cannot be fooled by a file replaced in place."""
    h = hashlib.blake2b(digest_size=32)
    if source.files is not None:
        for f in source.files:
            name = f.relative_to(root).as_posix() if root is not None else str(f)
            h.update(f"{name}\0".encode("utf-8", "surrogateescape"))
            fh = hashlib.blake2b(digest_size=32)
            try:
                with open(f, "rb") as stream:
                    for chunk in iter(lambda: stream.read(1 << 20), b""):
                        fh.update(chunk)
            except OSError as e:
                raise InputError(f"{display_name(f)}: cannot read ({_first_line(e)})") from None
            h.update(fh.digest())
    else:
        a = np.ascontiguousarray(source.array)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.data)
    return h.hexdigest()


def read_all(source: ImageSource, workers: int = 0) -> np.ndarray:
    """Every image of ``source`` as one uint8 N x 3 x H x W array (they must share one size)."""
    if source.array is not None:
        return source.array
    batches = list(iter_batches(source, 256, workers))
    if any(isinstance(b, list) for b in batches) or len({tuple(b.shape[1:]) for b in batches}) > 1:
        raise InputError(f"{display_name(source.name)}: images of different sizes; pixel-space metrics need one size")
    return torch.cat(batches).numpy()


def preview_images(source: ImageSource, k: int = 16) -> np.ndarray:
    """The first ``k`` readable images of ``source`` as uint8 K x 3 x H x W, for sample grids
    (resized to the first image's size where sizes differ)."""
    if source.array is not None:
        return source.array[:k]
    images: list[np.ndarray] = []
    for path in source.files:
        if len(images) == k:
            break
        try:
            img = decode_image(path)
        except InputError:
            continue
        if images and img.shape != images[0].shape:
            img = np.asarray(Image.fromarray(img).resize(images[0].shape[1::-1], Image.BILINEAR))
        images.append(img)
    if not images:
        return np.zeros((0, 3, 8, 8), np.uint8)
    return np.stack(images).transpose(0, 3, 1, 2)
