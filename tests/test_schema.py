"""The schema helper: fields declare what they admit; build checks user values against them, one line per mistake."""
import dataclasses
import math
from dataclasses import dataclass

import pytest

from raygan.budget import Budget
from raygan.collapse import CollapseRules
from raygan.config import GANConfig
from raygan.errors import RayganError
from raygan.schema import build, setting
from raygan.space import SearchSettings


@dataclass(frozen=True)
class Example:
    name: str = setting("a", choices=("a", "b"))
    count: int = setting(3, low=1, high=10)
    rate: float = setting(0.1, low=0, above=True, high=1, hint="try 0.1")
    samples: int = setting(100, low=10, off="none", unit="samples")
    flag: bool = False
    widths: tuple[int, ...] = setting((1, 2), low=1, high=8, count=(1, 3))
    free: float = 1.0  # no rule: any number


def test_missing_keys_keep_their_defaults():
    assert build(Example, {}, "here") == Example()


def test_strings_are_parsed_as_a_command_line_or_yaml_1_1_gives_them():
    built = build(Example, {"count": " 4 ", "rate": "1e-3", "flag": "true", "widths": "2, 3", "samples": "0",
                            "free": "-2"}, "here")
    assert built == Example(count=4, rate=1e-3, flag=True, widths=(2, 3), samples=0, free=-2.0)
    assert type(built.count) is int and type(built.free) is float


def test_whole_numbers_written_as_floats_become_ints_and_big_ones_stay_exact():
    assert type(build(Example, {"count": 4.0}, "here").count) is int
    assert build(GANConfig, {"seed": str(2**63 - 1)}, "here").seed == 2**63 - 1
    assert build(Example, {"widths": [1.0, 8]}, "here").widths == (1, 8)


@pytest.mark.parametrize("values, message", [
    ({"size": 3}, "here: unknown key 'size'; valid keys are name, count, rate, samples, flag, widths, free"),
    ({"name": "c"}, "here: unknown name 'c'; choose one of a, b"),
    ({"name": 5}, "here: name must be a string, got 5"),
    ({"count": 2.5}, "here: count must be a whole number, got 2.5"),
    ({"count": "2.5"}, "here: count must be a whole number, got '2.5'"),
    ({"count": True}, "here: count must be a whole number, got True"),
    ({"free": False}, "here: free must be a number, got False"),
    ({"free": "ten"}, "here: free must be a number, got 'ten'"),
    ({"free": [1]}, "here: free must be a number, got [1]"),
    ({"flag": "maybe"}, "here: flag must be true or false, got 'maybe'"),
    ({"flag": 1}, "here: flag must be true or false, got 1"),
    ({"count": 0}, "here: count must be between 1 and 10, got 0"),
    ({"rate": 0}, "here: rate must be in (0, 1], got 0.0; try 0.1"),
    ({"rate": "nan"}, "here: rate must be in (0, 1], got nan; try 0.1"),
    ({"samples": 5}, "here: samples must be 0 (none) or at least 10 samples, got 5"),
    ({"widths": [1, 2, 3, 4]}, "here: widths must list 1 to 3 values, got 4"),
    ({"widths": []}, "here: widths must list 1 to 3 values, got 0"),
    ({"widths": [1, 9]}, "here: widths must be between 1 and 8, got 9"),
    ({"widths": 4}, "here: widths must be a list of whole numbers such as 256,512, got 4"),
])
def test_each_mistake_is_one_line_naming_the_field(values, message):
    with pytest.raises(RayganError) as err:
        build(Example, values, "here")
    assert str(err.value) == message
    assert err.value.fields == (() if "unknown key" in message else tuple(values))


@pytest.mark.parametrize("cls", [GANConfig, Budget, CollapseRules, SearchSettings])
def test_every_settings_class_has_known_types_and_defaults_its_own_rules_admit(cls):
    defaults = dataclasses.asdict(cls())
    assert build(cls, defaults, "defaults") == cls()
    assert build(cls, {name: str(value) for name, value in defaults.items()
                       if not isinstance(value, tuple)}, "strings") == cls()


def test_the_classes_keep_their_cross_field_rules_and_errors_name_fields_not_flags():
    with pytest.raises(RayganError) as err:
        Budget.from_dict({"max_kimg": 1, "report_kimg": 2}, source="budget")
    assert str(err.value) == "budget: report_kimg (2.0) must not exceed max_kimg (1.0)"
    assert err.value.fields == ("report_kimg", "max_kimg")
    with pytest.raises(RayganError, match="^search: grace_kimg .* max_kimg"):
        SearchSettings.from_dict({"grace_kimg": 32}, Budget(max_kimg=16), source="search")
    with pytest.raises(RayganError, match="label_smoothing applies to loss 'ns' only"):
        GANConfig.from_dict({"loss": "hinge", "label_smoothing": 0.1})


def test_budget_lengths_are_whole_images_and_range_errors_carry_their_unit():
    assert Budget.from_dict({"max_kimg": "0.0644", "report_kimg": 0.0316}).max_kimg == 0.064
    with pytest.raises(RayganError, match="max_kimg must be between 0.001 and 1e9 kimg, got inf"):
        Budget.from_dict({"max_kimg": math.inf})
