"""File I/O helpers: atomic writes and safe loading. Every file the package writes goes through
:func:`atomic_write`, so a crash leaves either the old file or the new one, never a torn one."""
from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import stat
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Iterator

import numpy as np

from .errors import DownloadError, InputError, display_name


def _umask() -> int:
    """The process's umask (read without changing it where /proc allows, else set and restored)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but is another user's
        return True
    return True


def clean_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary files that killed writes of ``path`` left behind.

    Temporaries are named ``.<name>.<pid>.<random>.tmp``; one whose process no longer runs is
    stale. Returns the paths removed."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    removed = []
    prefix = f".{path.name}."
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        middle = name[len(prefix):-len(".tmp")].split(".")
        if len(middle) != 2 or not middle[0].isdigit():
            continue
        pid = int(middle[0])
        if pid != os.getpid() and not _pid_alive(pid):
            with contextlib.suppress(OSError):
                os.unlink(directory / name)
                removed.append(directory / name)
    return removed


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator:
    """Open a temporary file beside ``path``; on success fsync it and rename it over ``path``.

    The temporary file lives in the same directory so that ``os.replace`` is atomic.
    On any exception the temporary file is removed and ``path`` is untouched. Permissions: a new
    file gets the mode the umask gives (0666 & ~umask, as ``open`` would); a replaced file keeps
    its mode. A write killed outright (SIGKILL, power loss) can leave its temporary
    ``.<name>.<pid>.<random>.tmp``; the next write of the same path removes it.
    """
    path = Path(path)
    directory = make_parents(path)
    clean_stale_temporaries(path)
    try:
        perm = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        perm = 0o666 & ~_umask()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=directory)
    except OSError as e:
        raise InputError(f"{display_name(path)}: cannot write here ({e.strerror})") from None
    try:
        try:
            with os.fdopen(fd, mode) as f:
                os.fchmod(f.fileno(), perm)
                yield f
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except OSError as e:
            if isinstance(e, (FileNotFoundError, PermissionError)) or e.errno in (errno.ENOSPC, errno.EROFS,
                                                                                   errno.EDQUOT, errno.EACCES):
                raise InputError(f"{display_name(path)}: cannot write ({e.strerror}); nothing was changed") from None
            raise
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def make_parents(path: str | os.PathLike) -> Path:
    """Create the folders above ``path`` that are missing (``mkdir -p``, as ``-o runs/a/b.npz``
    or ``-o samples/0000200/`` expect) and return its folder; InputError naming the folder when
    one cannot be made (a file in the way, no permission)."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise InputError(f"{display_name(path)}: cannot create the output folder {display_name(directory)} ({e.strerror})") from None
    return directory


def check_writable(path: str | os.PathLike) -> None:
    """Fail before a long computation if ``path`` cannot be written (read-only folder, a file
    where a folder should be); missing folders above it are created (:func:`make_parents`)."""
    directory = make_parents(path)
    try:
        fd, probe = tempfile.mkstemp(prefix=".ganmetrics-write-test.", dir=directory)
    except OSError as e:
        raise InputError(f"{display_name(path)}: cannot write to {display_name(directory)} ({e.strerror})") from None
    os.close(fd)
    os.unlink(probe)


def save_npz(path: str | os.PathLike, **arrays) -> None:
    """``np.savez`` through :func:`atomic_write` (the name is kept exactly, no ``.npz`` added)."""
    with atomic_write(path) as f:
        np.savez(f, **arrays)


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_write(path, "w") as f:
        f.write(text)


# the first bytes numpy dispatches on: a zip archive (.npz; an empty one starts with PK\5\6) or a .npy header
_ARRAY_FILE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x93NUMPY")


def require_regular_file(path: str | os.PathLike) -> None:
    """Refuse, by name, a path that is not a regular file (a FIFO, socket or device would block
    or stream forever when read). Symbolic links to regular files are fine."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise InputError(f"{display_name(path)}: broken symbolic link") from None
        raise InputError(f"{display_name(path)}: no such file") from None
    except OSError as e:
        raise InputError(f"{display_name(path)}: cannot read ({_short(e)})") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{display_name(path)}: is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a regular file")
        raise InputError(f"{display_name(path)}: {kind}, not a regular file; move it out of the way")


def _check_magic(path, kind: str) -> None:
    """Refuse a file that is neither a zip archive nor a .npy array before numpy sees it: numpy
    would take it for a pickle and say so, which misleads for a file that is merely corrupt."""
    require_regular_file(path)
    try:
        with open(path, "rb") as f:
            head = f.read(6)
    except FileNotFoundError:
        raise InputError(f"{display_name(path)}: no such file") from None
    except OSError as e:
        raise InputError(f"{display_name(path)}: cannot read ({_short(e)})") from None
    if not head.startswith(_ARRAY_FILE_MAGIC):
        what = "a zip archive" if kind == ".npz" else "a .npy array"
        raise InputError(f"{display_name(path)}: not a readable {kind} file (not {what}: empty, corrupt or another format)")


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Load every array of an ``.npz`` file without ever unpickling (``allow_pickle=False``)."""
    _check_magic(path, ".npz")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise InputError(f"{display_name(path)}: no such file") from None
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as e:
        raise InputError(f"{display_name(path)}: not a readable .npz file ({_short(e)})") from None


def load_npy(path: str | os.PathLike) -> np.ndarray:
    _check_magic(path, ".npy")
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise InputError(f"{display_name(path)}: no such file") from None
    except (ValueError, OSError, EOFError) as e:
        raise InputError(f"{display_name(path)}: not a readable .npy file ({_short(e)})") from None


def load_checkpoint(path: str | os.PathLike, trust: bool = False, flag: str = "--trust-checkpoint"):
    """``torch.load`` a checkpoint on the CPU, allowing only tensors and plain containers.

    A checkpoint that needs arbitrary unpickling (a pickled module, a custom class) is refused
    unless ``trust`` is set: unpickling runs whatever code the file names, so it is only safe
    for files from a source you trust. This is the package's only ``torch.load`` that can
    unpickle, and only when the user asked for it (``flag``).
    """
    from pickle import UnpicklingError  # only the exception type; nothing is unpickled with pickle
    import torch  # here: io is imported by light code paths (JSON, atomic writes) that need no torch
    if not Path(path).is_file():
        raise InputError(f"{display_name(path)}: no such checkpoint file")
    try:
        return torch.load(path, map_location="cpu", weights_only=not trust)
    except UnpicklingError as e:
        blocked = next((line.strip() for line in str(e).splitlines() if "GLOBAL" in line), None)
        if trust or blocked is None:  # a torn or corrupt file, not a refused class
            detail = next((line.strip() for line in str(e).splitlines()[1:] if "operand" in line.lower()), "")
            raise InputError(f"{display_name(path)}: not a readable checkpoint (corrupt or truncated{': ' + detail if detail else ''})"
                             ) from None
        raise InputError(f"{display_name(path)}: the checkpoint needs arbitrary unpickling, which can run code ({blocked}); "
                         f"save a state_dict, or pass {flag} if you trust the file") from None
    except (RuntimeError, OSError, EOFError, ValueError, AttributeError, ImportError) as e:
        raise InputError(f"{display_name(path)}: not a readable checkpoint ({_short(e)})") from None


def to_json(obj) -> str:
    return json.dumps(obj, indent=None, sort_keys=False, default=_json_default)


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"cannot serialise {type(o).__name__}")


def _short(e: BaseException) -> str:
    return str(e).splitlines()[0] if str(e) else type(e).__name__


def sha256_of(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def download(url: str, dest: str | os.PathLike, sha256: str | None = None, timeout: float = 30.0) -> str:
    """Stream ``url`` into ``dest`` atomically and return the file's sha256.

    With ``sha256`` given, a file with another hash is refused and nothing is written. Any
    failure raises ``DownloadError`` (a one-line message) and leaves ``dest`` as it was.
    """
    dest = Path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DownloadError(f"{display_name(dest.parent)}: cannot create the folder ({e.strerror})") from None
    print(f"Downloading {url} -> {display_name(dest)}", file=sys.stderr)
    h = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, atomic_write(dest) as out:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                h.update(chunk)
                out.write(chunk)
            if sha256 is not None and h.hexdigest() != sha256:
                raise DownloadError(f"{url}: downloaded file has sha256 {h.hexdigest()}, expected {sha256}; "
                                    "nothing was saved")
    except (urllib.error.URLError, OSError, TimeoutError, ValueError) as e:
        reason = getattr(e, "reason", None) or e
        raise DownloadError(f"{url}: download failed ({reason})") from None
    return h.hexdigest()
