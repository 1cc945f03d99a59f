"""Where a search lives: its experiment (Tune's records, a folder or a bucket) and its local report folder.

``--storage-path`` is a local folder (``runs`` by default) or a URI such as ``s3://bucket/path``.
The summary, plots, ``search.json`` and ``report.html`` are always written to a local folder:
the experiment itself when it is local, else ``./runs/NAME``, which :func:`upload_reports`
then copies into the bucket beside Tune's records.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from raygan.tuning.options import SearchOptions


def is_remote(storage_path: str) -> bool:
    """True for a URI (``s3://``, ``gs://``, ...), False for a local folder."""
    return "://" in storage_path


def storage_uri(storage_path: str) -> str:
    """Ray needs an absolute local path or a URI (s3://, gs://, ...)."""
    return storage_path if is_remote(storage_path) else str(Path(storage_path).expanduser().resolve())


def experiment_path(options: SearchOptions) -> str:
    return f"{storage_uri(options.storage_path).rstrip('/')}/{options.name}"


def experiment_bytes(options: SearchOptions) -> int:
    """The size of the experiment folder (or the bucket's prefix), in bytes."""
    import pyarrow.fs

    from raygan.tuning.storage import folder_bytes

    return folder_bytes(*pyarrow.fs.FileSystem.from_uri(experiment_path(options)))


def report_dir(options: SearchOptions) -> Path:
    """Where summary and plots go: the experiment folder when local, else ./runs/NAME (and then
    :func:`upload_reports` copies them into the experiment too)."""
    if is_remote(options.storage_path):
        return Path("runs") / options.name
    return Path(experiment_path(options))


def upload_reports(options: SearchOptions) -> None:
    """With remote storage (``s3://``), copy the local report folder into the experiment, beside Tune's
    records, so the bucket holds the whole search: a job's working directory, where ``./runs`` is
    then, goes when the job ends."""
    if not is_remote(options.storage_path):
        return
    import pyarrow.fs

    filesystem, path = pyarrow.fs.FileSystem.from_uri(experiment_path(options))
    pyarrow.fs.copy_files(str(report_dir(options).resolve()), path, source_filesystem=pyarrow.fs.LocalFileSystem(),
                          destination_filesystem=filesystem)
