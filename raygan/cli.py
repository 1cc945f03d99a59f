"""What every raygan command shares: user errors become one line on stderr and exit code 2.

The library names its arguments and fields (``data_dir``, ``max_kimg``); a command maps
those to its flags (``FLAGS`` in each command module), and :func:`user_errors` words each
error a library call raised about one of them (:attr:`RayganError.fields`) as the flag.
"""
from __future__ import annotations

import argparse
import math
import re
import sys
from contextlib import contextmanager

from raygan.errors import RayganError

USAGE_ERROR = 2


@contextmanager
def user_errors(prog: str, flags: dict[str, str] | None = None):
    """Turn RayganError (and a missing file) into ``prog: error: message`` and ``exit(2)``.

    ``flags`` maps library field names to this command's flags (``{"data_dir": "--data-dir"}``).
    """
    try:
        yield
    except RayganError as err:
        print(f"{prog}: error: {as_flags(err, flags or {})}", file=sys.stderr)
        raise SystemExit(USAGE_ERROR) from None
    except FileNotFoundError as err:
        print(f"{prog}: error: {err.filename or err} does not exist; check the path", file=sys.stderr)
        raise SystemExit(USAGE_ERROR) from None
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        raise SystemExit(130) from None


def as_flags(err: RayganError, flags: dict[str, str]) -> str:
    """``err``'s message with each field it names (``err.fields``) that is one of ``flags`` worded as the flag:
    ``data_dir`` as ``--data-dir``, ``download=True`` as ``--download``."""
    message = str(err)
    for field in err.fields:
        if field in flags:
            message = re.sub(rf"(?<![\w-]){re.escape(field)}(=True)?(?![\w-])", flags[field], message)
    return message


class Parser(argparse.ArgumentParser):
    """argparse with raygan's error style: one line naming the problem, then exit 2.

    Plain argparse prints the whole usage block first; for a command with a dozen options
    that buries the one line that matters.
    """

    def error(self, message: str):
        print(f"{self.prog.removeprefix('python -m ')}: error: {message}; see --help", file=sys.stderr)
        raise SystemExit(USAGE_ERROR)


def _whole_number(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be {'at least 1' if minimum == 1 else '0 or more'}, got {value}")
    return value


def positive_int(text: str) -> int:
    """argparse type for counts that must be >= 1."""
    return _whole_number(text, 1)


def non_negative_int(text: str) -> int:
    """argparse type for counts that may be 0."""
    return _whole_number(text, 0)


def seed_int(text: str) -> int:
    """argparse type for random seeds: 0 to 2**32 - 1 (numpy's limit, which Optuna's sampler inherits)."""
    value = non_negative_int(text)
    if value >= 2**32:
        raise argparse.ArgumentTypeError(f"must be below 2**32, got {value}")
    return value


def _number(text: str, minimum: float, inclusive: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got '{text}'") from None
    if not math.isfinite(value) or value < minimum or (value == minimum and not inclusive):
        raise argparse.ArgumentTypeError(f"must be a number {'>=' if inclusive else 'above'} {minimum:g}, got {text}")
    return value


def non_negative_float(text: str) -> float:
    """argparse type for shares and amounts that must be finite and >= 0."""
    return _number(text, 0.0, inclusive=True)


def positive_float(text: str) -> float:
    """argparse type for amounts that must be finite and above 0."""
    return _number(text, 0.0, inclusive=False)


_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600}


def duration(text: str) -> float:
    """argparse type for wall times: seconds (``900``, ``90s``), minutes (``15m``) or hours (``2h``)."""
    number, unit = (text[:-1], text[-1]) if text[-1:].lower() in _DURATION_UNITS else (text, "s")
    try:
        seconds = float(number) * _DURATION_UNITS[unit.lower()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a duration such as 15m, 2h or 900 (seconds), got '{text}'") \
            from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive duration such as 15m, got '{text}'")
    return seconds
