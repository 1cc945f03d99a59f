"""One way to validate settings that come from users: each dataclass field declares what it admits.

GANConfig, Budget, CollapseRules and SearchSettings are built from YAML space files, JSON
files (``options.json``, export headers), ``--set key=value`` strings and command-line
flags.  Each field says beside itself, with :func:`setting`, which values it admits (a
list of choices, or a range); its annotation says its type (``str``, ``int``, ``float``,
``bool`` or ``tuple[int, ...]``).  :func:`build` checks a mapping against them all and
makes the instance, so each class keeps only its rules that span fields (``report_kimg``
at most ``max_kimg``).

Strings are parsed into the field's type, because ``--set lr_g=1e-4`` arrives as one and
YAML 1.1 reads ``1e-5`` (no dot) as one; a boolean is never a number (YAML's ``yes``
would otherwise pass as 1).  Every mistake is a one-line RayganError that starts with
where it was found and carries the field's name in ``fields``.
"""
from __future__ import annotations

import dataclasses
import numbers
import typing
from dataclasses import dataclass
from typing import Mapping

from raygan.errors import RayganError

RULE = "raygan.schema.rule"  # the key of a field's Rule in its dataclass metadata
WHOLE_NUMBERS = tuple[int, ...]
KINDS = {str: "a string", int: "a whole number", float: "a number", bool: "true or false",
         WHOLE_NUMBERS: "a list of whole numbers such as 256,512"}


@dataclass(frozen=True)
class Rule:
    """What one field admits beyond its type; a tuple's bounds hold for each of its items."""

    choices: tuple = ()  # the only values allowed (names)
    low: float | None = None  # the range's ends (None: unbounded)
    high: float | None = None
    above: bool = False  # low itself excluded
    below: bool = False  # high itself excluded
    off: str = ""  # 0 is admitted too, outside the range, and means this ("no metrics")
    unit: str = ""  # what the range counts ("kimg"), for messages
    hint: str = ""  # a value to suggest after a range error ("try 2e-4")
    count: tuple[int, int] | None = None  # a tuple's fewest and most items

    def check(self, value, where: str, name: str) -> None:
        """A one-line error (``where: name ...``) unless the field ``name`` admits ``value`` (of its type)."""
        if self.choices and value not in self.choices:
            raise RayganError(f"{where}: unknown {name} '{value}'; choose one of {', '.join(self.choices)}", name)
        items = value if isinstance(value, tuple) else (value,)
        if self.count and not self.count[0] <= len(items) <= self.count[1]:
            raise RayganError(f"{where}: {name} must list {self.count[0]} to {self.count[1]} values, "
                              f"got {len(items)}", name)
        for item in items:
            if not self.admits(item):
                hint = f"; {self.hint}" if self.hint else ""
                raise RayganError(f"{where}: {name} must be {self.span()}, got {item}{hint}", name)

    def admits(self, number) -> bool:
        """Whether ``number`` is in range (written so that NaN never is)."""
        if self.off and number == 0:
            return True
        low = self.low is None or (number > self.low if self.above else number >= self.low)
        high = self.high is None or (number < self.high if self.below else number <= self.high)
        return low and high

    def span(self) -> str:
        """The range in words: ``between 2 and 512``, ``at least 1``, ``in (0, 10]``, ``0 (none) or ...``."""
        low, high = _shown(self.low), _shown(self.high)
        if self.low is None:
            text = f"{'below' if self.below else 'at most'} {high}"
        elif self.high is None:
            text = f"{'above' if self.above else 'at least'} {low}"
        elif self.above or self.below:
            text = f"in {'(' if self.above else '['}{low}, {high}{')' if self.below else ']'}"
        else:
            text = f"between {low} and {high}"
        text += f" {self.unit}" if self.unit else ""
        return f"0 ({self.off}) or {text}" if self.off else text


def setting(default, *, choices=(), **rule):
    """A dataclass field with this default that admits ``choices`` or the range given as :class:`Rule`'s keys."""
    return dataclasses.field(default=default, metadata={RULE: Rule(choices=tuple(choices), **rule)})


def build(cls, values: Mapping, where: str):
    """An instance of the dataclass ``cls`` from user ``values``, each checked against its field.

    Fields not in ``values`` keep their defaults; ``where`` starts every error message.
    """
    fields = {field.name: field for field in dataclasses.fields(cls)}
    check_keys(values, fields, where)
    types = typing.get_type_hints(cls)
    checked = {}
    for name, value in values.items():
        checked[name] = coerce(value, types[name], f"{where}: {name}", name)
        rule = fields[name].metadata.get(RULE)
        if rule is not None:
            rule.check(checked[name], where, name)
    return cls(**checked)


def check_keys(values: Mapping, allowed, where: str) -> None:
    """A one-line error naming the first key of ``values`` not in ``allowed``, and the valid keys."""
    for key in values:
        if key not in allowed:
            raise RayganError(f"{where}: unknown key '{key}'; valid keys are {', '.join(allowed)}")


def coerce(value, kind, what: str, fields: tuple[str, ...] | str = ()):
    """``value`` as ``kind`` (a key of :data:`KINDS`), parsing strings; else "``what`` must be ..."."""
    bad = RayganError(f"{what} must be {KINDS[kind]}, got {value!r}", fields)
    if kind is str:
        if not isinstance(value, str):
            raise bad
        return value
    if kind is bool:
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        if not isinstance(value, bool):
            raise bad
        return value
    if kind == WHOLE_NUMBERS:
        if isinstance(value, str):  # 256,512 as --set gives it
            value = [part for part in value.replace(" ", "").split(",") if part]
        if not isinstance(value, (list, tuple)):
            raise bad
        return tuple(coerce(item, int, what, fields) for item in value)
    if isinstance(value, bool):
        raise bad
    try:
        if isinstance(value, str):
            text = value.strip()  # a whole number exactly, as float() would not hold it past 2**53
            value = int(text) if kind is int and text.lstrip("+-").isdigit() else float(text)
        if kind is float and isinstance(value, numbers.Real):
            return float(value)
        if kind is int and isinstance(value, numbers.Real) and (isinstance(value, numbers.Integral)
                                                                or float(value).is_integer()):
            return int(value)
    except (ValueError, OverflowError):
        raise bad from None
    raise bad


def _shown(number) -> str:
    """A bound as one would write it: 10, 0.5, 1e9."""
    if number is None or isinstance(number, int):
        return str(number)
    return f"{number:g}".replace("e+0", "e").replace("e+", "e")
