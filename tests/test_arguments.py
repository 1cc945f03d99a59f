"""Single-argument checks: one implementation for the Python API (named, ``fields``) and the commands' flags."""
import argparse

import pytest

from raygan import arguments
from raygan.cli import duration, positive_int
from raygan.errors import RayganError


@pytest.mark.parametrize("value, seconds", [(900, 900.0), (90.5, 90.5), ("90s", 90.0), ("15m", 900.0),
                                            ("1.5h", 5400.0), (" 2H ", 7200.0)])
def test_durations_come_as_seconds_or_text(value, seconds):
    assert arguments.duration(value, "time_budget") == seconds


@pytest.mark.parametrize("check, value, message", [
    (arguments.duration, True, "expected a duration such as '15m', '2h' or 900 (seconds), got True"),
    (arguments.duration, "-5m", "must be a positive duration such as 15m, got '-5m'"),
    (arguments.whole_number, True, "expected a whole number, got True"),
    (arguments.whole_number, "2.5", "expected a whole number, got '2.5'"),
    (arguments.number, float("nan"), "must be a number >= 0, got nan"),
    (arguments.seed, -1, "must be 0 or more, got -1"),
])
def test_a_named_argument_starts_its_error_and_is_its_field(check, value, message):
    with pytest.raises(RayganError) as error:
        check(value, "x")
    assert str(error.value) == f"x: {message}" and error.value.fields == ("x",)


def test_the_flags_get_the_same_message_without_the_name():
    with pytest.raises(argparse.ArgumentTypeError, match=r"^must be at least 1, got 0$"):
        positive_int("0")
    with pytest.raises(argparse.ArgumentTypeError, match=r"^expected a duration such as 15m"):
        duration("soon")
