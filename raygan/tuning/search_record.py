"""``search.json``: how a search was run (the command, the space, raygan's version), written before training.

It is the one record of a search that exists from its start, so ``report.html`` and
``python -m raygan.report`` read the space from it, even for a search that never finished.
"""
from __future__ import annotations

import json
from pathlib import Path

from raygan.atomic import atomic_path
from raygan.errors import RayganError
from raygan.layout import SEARCH_FILE
from raygan.space import SearchSpace, parse_space


def write_search_record(folder: Path, command: str | None, space: SearchSpace) -> None:
    """``search.json``: what the report needs to say how the search was run (kept on --resume)."""
    from raygan.version import __version__

    path = folder / SEARCH_FILE
    if path.exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps({"command": command, "space_source": space.source, "space": space.to_dict(),
                                   "raygan_version": __version__}, indent=1))


def read_search_record(folder: Path) -> tuple[dict, SearchSpace]:
    """The record in ``folder`` and the space it holds; a one-line error where there is none."""
    path = folder / SEARCH_FILE
    if not path.is_file():
        raise RayganError(f"{folder} holds no {SEARCH_FILE}: pass the folder of a search (runs/NAME) made by "
                          "python -m raygan.search")
    record = json.loads(path.read_text())
    return record, parse_space(record["space"], record.get("space_source") or str(path))
