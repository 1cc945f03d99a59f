"""Where a dataset lives when no folder is given: ``$RAYGAN_DATA/<name>``, else the per-user data folder."""
from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "RAYGAN_DATA"  # the folder that holds one subfolder per dataset, when no data_dir is given


def default_data_dir(name: str) -> Path:
    """``$RAYGAN_DATA/<name>``, else ``$XDG_DATA_HOME/raygan/<name>`` (by default ``~/.local/share/raygan/<name>``)."""
    base = os.environ.get(DATA_ENV)
    if not base:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "raygan"
    return Path(base).expanduser() / name


def data_location(name: str, data_dir, download: bool = False) -> tuple[Path, bool]:
    """The folder to read ``name`` from and whether it may be downloaded there: ``data_dir`` as given,
    or the default place, downloaded into when the files are not there yet (and the machine is online)."""
    if data_dir is not None:
        return Path(data_dir).expanduser(), download
    return default_data_dir(name), True
