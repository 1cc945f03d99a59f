"""Files in an experiment's storage, a folder or a bucket, through pyarrow's filesystems as Ray's own.

Ray gives a trial its storage (``tune.get_context().get_storage()``: the filesystem and the
trial's folder on it) and the driver each trial's (``Result.filesystem``, ``Result.path``).
What raygan writes there itself (a trial's best generator), reads back (the export), measures
(the experiment folder's size) and deletes (:mod:`raygan.tuning.pruning`) goes through these
functions, so local folders and ``s3://`` buckets take the same path.
"""
from __future__ import annotations

import posixpath
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pyarrow.fs


def upload(local: Path, filesystem: pyarrow.fs.FileSystem, path: str) -> int:
    """Copy the local file to ``path``, replacing any file there in one step (a reader sees the old file or the
    new one, never part of it); returns the bytes written."""
    parent = posixpath.dirname(path)
    staging = posixpath.join(parent, f".{posixpath.basename(path)}.upload")
    filesystem.create_dir(parent, recursive=True)
    # use_threads=False: pyarrow's threaded S3 uploads are unsafe (as Ray's own uploads note)
    pyarrow.fs.copy_files(str(local), staging, source_filesystem=pyarrow.fs.LocalFileSystem(),
                          destination_filesystem=filesystem, use_threads=False)
    filesystem.move(staging, path)
    return local.stat().st_size


@contextmanager
def fetched(filesystem: pyarrow.fs.FileSystem, path: str):
    """The file at ``path`` as a local file for the ``with`` block (downloaded unless it is local), or None
    if there is none."""
    if filesystem.get_file_info(path).type != pyarrow.fs.FileType.File:
        yield None
    elif isinstance(filesystem, pyarrow.fs.LocalFileSystem):
        yield Path(path)
    else:
        with tempfile.TemporaryDirectory() as folder:
            local = Path(folder) / posixpath.basename(path)
            pyarrow.fs.copy_files(path, str(local), source_filesystem=filesystem)
            yield local


def file_sizes(filesystem: pyarrow.fs.FileSystem, path: str) -> dict[str, int]:
    """Every file under ``path``: its path relative to ``path``, and its bytes (nothing if there is no ``path``)."""
    selector = pyarrow.fs.FileSelector(path, recursive=True, allow_not_found=True)
    return {posixpath.relpath(info.path, path): info.size for info in filesystem.get_file_info(selector)
            if info.type == pyarrow.fs.FileType.File}


def folder_bytes(filesystem: pyarrow.fs.FileSystem, path: str) -> int:
    """The bytes of every file under ``path`` (0 if there is nothing)."""
    return sum(file_sizes(filesystem, path).values())


def local_bytes(folder) -> int:
    """The bytes of every file under the local ``folder``."""
    return sum(entry.stat().st_size for entry in Path(folder).rglob("*") if entry.is_file())


def subfolders(filesystem: pyarrow.fs.FileSystem, path: str) -> list[str]:
    """The paths of the folders right under ``path``."""
    selector = pyarrow.fs.FileSelector(path, allow_not_found=True)
    return [info.path for info in filesystem.get_file_info(selector) if info.type == pyarrow.fs.FileType.Directory]

