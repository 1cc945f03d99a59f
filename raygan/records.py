"""Metric records as JSON Lines (one object per report, appended as training goes, as in
stylegan2-ada), and the one definition of a finite number they rely on.

JSON has no NaN or infinity: files get ``null`` in their place (:func:`finite_or_none`),
Ray Tune and Optuna, which reject NaN, get +-:data:`BIG` (:func:`finite_or_big`).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

BIG = 1e9  # stands in for a non-finite value where a number is required
# report keys the wall clock measures: two runs of the same maths differ only in them
WALL_CLOCK_KEYS = ("images_per_s", "train_s", "metrics_s", "grids_s", "seconds")


def without_wall_clock(record: dict) -> dict:
    """``record`` without its :data:`WALL_CLOCK_KEYS` (to compare two runs of the same maths)."""
    return {key: value for key, value in record.items() if key not in WALL_CLOCK_KEYS}


def is_finite_number(value) -> bool:
    """True for a finite int or float; False for NaN, +-inf, None (a JSON null) and non-numbers."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_non_finite_float(value) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def finite_or_none(record: dict) -> dict:
    """NaN/Inf floats replaced by None, so every line is valid JSON (json.dumps would write NaN)."""
    return {k: (None if _is_non_finite_float(v) else v) for k, v in record.items()}


def finite_or_big(record: dict) -> dict:
    """NaN/Inf floats replaced by +-BIG (NaN by BIG), so every value is storable and sortable."""
    return {k: ((-BIG if v == -math.inf else BIG) if _is_non_finite_float(v) else v) for k, v in record.items()}


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
