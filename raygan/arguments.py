"""Checks of single arguments: counts, amounts, seeds and wall times, from Python values or command-line text.

One implementation for both faces: the Python API (:func:`raygan.search`, :func:`raygan.train`)
calls these with the argument's name, which starts the one-line :class:`RayganError` and is
its ``fields``; the command lines' argparse types (:mod:`raygan.cli`) call them without a
name, as argparse starts its message with the flag.
"""
from __future__ import annotations

import math
import numbers

from raygan.errors import RayganError

SEED_LIMIT = 2**32  # numpy's limit on seeds, which Optuna's sampler inherits
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600}


def _error(message: str, name: str | None) -> RayganError:
    return RayganError(f"{name}: {message}" if name else message, (name,) if name else ())


def whole_number(value, name: str | None = None, minimum: int = 0) -> int:
    """``value`` (an int, or text such as ``"8"``) as an int of at least ``minimum`` (0 or 1)."""
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise _error(f"expected a whole number, got '{value}'", name) from None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise _error(f"expected a whole number, got {value!r}", name)
    if value < minimum:
        raise _error(f"must be {'at least 1' if minimum == 1 else '0 or more'}, got {value}", name)
    return int(value)


def seed(value, name: str | None = None) -> int:
    """A random seed: 0 to 2**32 - 1."""
    value = whole_number(value, name)
    if value >= SEED_LIMIT:
        raise _error(f"must be below 2**32, got {value}", name)
    return value


def number(value, name: str | None = None, minimum: float = 0.0, inclusive: bool = True) -> float:
    """``value`` (a number, or text such as ``"0.5"``) as a finite float: at least (``inclusive``) or above
    ``minimum``."""
    shown = value
    try:
        if isinstance(value, bool) or not isinstance(value, (str, numbers.Real)):
            raise ValueError
        value = float(value)
    except ValueError:
        raise _error(f"expected a number, got {shown!r}", name) from None
    if not math.isfinite(value) or value < minimum or (value == minimum and not inclusive):
        raise _error(f"must be a number {'>=' if inclusive else 'above'} {minimum:g}, got {shown}", name)
    return value


def duration(value, name: str | None = None) -> float:
    """A wall time in seconds, from seconds (``900``, ``"900"``, ``"90s"``), minutes (``"15m"``) or hours (``"2h"``)."""
    if isinstance(value, str):
        text = value.strip()
        amount, unit = (text[:-1], text[-1].lower()) if text[-1:].lower() in _DURATION_UNITS else (text, "s")
        try:
            seconds = float(amount) * _DURATION_UNITS[unit]
        except ValueError:
            raise _error(f"expected a duration such as 15m, 2h or 900 (seconds), got '{value}'", name) from None
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise _error(f"expected a duration such as '15m', '2h' or 900 (seconds), got {value!r}", name)
    if not math.isfinite(seconds) or seconds <= 0:
        raise _error(f"must be a positive duration such as 15m, got '{value}'", name)
    return seconds
