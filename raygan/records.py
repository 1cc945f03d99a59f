"""Metrics as JSON Lines: one object per report, appended as training goes (stylegan2-ada style)."""
from __future__ import annotations

import json
import math
from pathlib import Path


def finite_or_none(record: dict) -> dict:
    """Replace NaN/Inf floats by None so every line is valid JSON (json.dumps would write NaN)."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in record.items()}


def append_jsonl(path, record: dict) -> None:
    with open(Path(path), "a", encoding="utf-8") as fh:
        fh.write(json.dumps(finite_or_none(record)) + "\n")


def write_jsonl(path, records: list[dict]) -> None:
    """Write ``records`` as a whole new file, atomically."""
    from raygan.atomic import atomic_path

    with atomic_path(path) as tmp:
        tmp.write_text("".join(json.dumps(finite_or_none(r)) + "\n" for r in records), encoding="utf-8")


def read_jsonl(path) -> list[dict]:
    with open(Path(path), encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
