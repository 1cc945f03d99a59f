"""raygan's per-user cache: decoded image folders and the evaluators trained for them.

Everything here can be rebuilt from the user's images, so it lives in the cache folder
(``$RAYGAN_CACHE``, else ``$XDG_CACHE_HOME/raygan``, by default ``~/.cache/raygan``), never
beside the images, which may be read-only or shared.
"""
from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "RAYGAN_CACHE"


def cache_dir(kind: str) -> Path:
    """The cache subfolder for ``kind`` (``data``, ``evaluators``); not created here."""
    base = os.environ.get(CACHE_ENV)
    if not base:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "raygan"
    return Path(base).expanduser() / kind
