"""Constraints on a search's reports (``constraints:`` of a space file), and the ranking they imply (pure).

"The best fid among generators whose label accuracy is at least 0.95" is::

    metric: fid
    mode: min
    constraints:
      label_acc: ">= 0.95"

A report is *feasible* when it meets every constraint; its *violation* is how far it
misses them, summed (0 when feasible).  With constraints, every report also carries the
**ranked** value ``<metric>_ranked`` (:func:`ranked_key`): the metric itself when the report
is feasible, else :data:`INFEASIBLE` plus the violation (both negated under mode max), so
that any feasible report ranks before any infeasible one, and infeasible ones rank by how
far they miss.  Everything that ranks reports or trials goes by it (ASHA, the value Optuna
is told, the checkpoints a trial keeps, the best generator it saves, the summary's order,
the final run's source, the export); the metric itself is reported unchanged beside it.
Without constraints the ranked key is the metric itself, and nothing changes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from raygan.errors import RayganError
from raygan.records import BIG, is_finite_number

OPERATORS = (">=", "<=")
INFEASIBLE = 2 * BIG  # above any value a report holds (Tune gets BIG for a non-finite one)
_BOUND = re.compile(r"\s*(>=|<=)\s*(\S+)\s*")


@dataclass(frozen=True)
class Constraint:
    """``metric op bound``: a per-report metric kept at least (``>=``) or at most (``<=``) ``bound``."""

    metric: str
    op: str
    bound: float

    @classmethod
    def parse(cls, metric: str, text, where: str) -> "Constraint":
        """From a space file's ``metric: ">= 0.95"``; a one-line error naming ``where`` otherwise."""
        match = _BOUND.fullmatch(text) if isinstance(text, str) else None
        bound = _number(match.group(2)) if match else None
        if bound is None:
            raise RayganError(f"{where}: {text!r} is not a bound; write '>= NUMBER' or '<= NUMBER' in quotes, "
                              f"e.g. {metric}: \">= 0.95\"", "constraints")
        return cls(metric, match.group(1), bound)

    @property
    def text(self) -> str:
        """The bound as a space file writes it: ``>= 0.95`` (the number as it reads back, exactly)."""
        return f"{self.op} {self.bound!r}"

    def __str__(self) -> str:
        return f"{self.metric} {self.text}"

    def violation(self, report: dict) -> float:
        """How far ``report``'s value misses the bound (0 when met; BIG when it holds no finite value)."""
        value = report.get(self.metric)
        if not is_finite_number(value):
            return BIG
        return max(0.0, self.bound - value if self.op == ">=" else value - self.bound)


def violation(report: dict, constraints: tuple) -> float:
    """How far ``report`` misses ``constraints``, summed over them (0: it is feasible)."""
    return sum(constraint.violation(report) for constraint in constraints)


def ranked_key(metric: str, constraints: tuple) -> str:
    """The report key a search ranks by: ``metric`` without constraints, else ``<metric>_ranked``."""
    return f"{metric}_ranked" if constraints else metric


def ranked_value(report: dict, metric: str, mode: str, constraints: tuple):
    """``report``'s ranked value (see the module's docstring): its ``metric`` when it meets ``constraints``."""
    missed = violation(report, constraints)
    if missed == 0:
        return report.get(metric)
    return INFEASIBLE + missed if mode == "min" else -(INFEASIBLE + missed)


def violation_of(ranked: float, mode: str) -> float:
    """The violation a ranked value stands for (0 for a feasible one): :func:`ranked_value` undone."""
    return max(0.0, (ranked if mode == "min" else -ranked) - INFEASIBLE)


def describe(constraints: tuple) -> str:
    """``label_acc >= 0.95 and fid <= 40``."""
    return " and ".join(map(str, constraints))


def _number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if is_finite_number(number) else None
