"""Atomic file writes: a crash or a full disk never leaves a half-written file behind."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from raygan.errors import RayganError


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; on success rename it over ``path``.

    The rename is atomic on POSIX file systems, so readers see either the old file or
    the complete new one.  On any failure the temporary file is removed and the old
    file, if any, is left untouched.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise RayganError(f"cannot write {path}: {err.strerror}; choose a writable location") from None
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file normal permissions
        yield Path(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as err:
        raise RayganError(f"cannot write {path}: {err.strerror}; free disk space or choose another location") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def blocking_file(path) -> Path | None:
    """The nearest existing ancestor of ``path`` that is a file (so nothing below it can be created), if any."""
    for parent in Path(path).parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


def check_writable(path, example: str = "best.safetensors") -> None:
    """Fail now, not after hours of work, if ``path`` could not be written (an existing file stays)."""
    path = Path(path)
    blocker = blocking_file(path)
    if blocker is not None:
        raise RayganError(f"cannot write {path}: {blocker} is a file, not a folder; choose another location")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".check", dir=path.parent)
        os.close(fd)
        os.unlink(tmp)
    except OSError as err:
        raise RayganError(f"cannot write {path}: {err.strerror}; choose a writable location") from None
    if path.is_dir():
        raise RayganError(f"{path} is a folder; give a file name such as {path / example}")


def output_folder(path, field: str) -> Path:
    """Create the output folder ``path`` (the argument ``field``) now, before any work; one-line errors if it
    cannot be."""
    path = Path(path).expanduser()
    if path.exists() and not path.is_dir():
        raise RayganError(f"{field} {path} is a file; give a folder", fields=field)
    blocker = blocking_file(path)
    if blocker is not None:
        raise RayganError(f"cannot create {field} {path}: {blocker} is a file, not a folder; choose another folder",
                          fields=field)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise RayganError(f"cannot create {field} {path}: {err.strerror}; choose a writable folder",
                          fields=field) from None
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
