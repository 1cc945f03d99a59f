"""How long a run trains and how often it reports, measures and checkpoints.

One definition, one set of defaults and one validation for both faces of the run loop:
``python -m raygan.train`` builds a :class:`Budget` from its flags, a search space from its
``budget:`` mapping, and every trial of a search runs under the space's budget.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from raygan.errors import RayganError

QUICK_NUM = 2000  # samples for the metrics of every report
FINAL_NUM = 10000  # samples for the metrics at the end of a run and of an export (the test split's size)
MIN_SAMPLES = 10  # the fewest samples every metric can be computed on (k-NN balls need k + 1 = 6, KID 2)


@dataclass(frozen=True)
class Budget:
    max_steps: int = 3000  # generator steps
    report_every: int = 250  # steps between reports (quality metrics, collapse checks, sample grids)
    checkpoint_every: int = 1  # reports between checkpoints (a new best and the last report always save)
    quick_num: int = QUICK_NUM  # samples for the per-report metrics (0: none)
    final_num: int = FINAL_NUM  # samples for the end-of-run metrics (0: none)

    @classmethod
    def from_dict(cls, values: dict, source: str = "budget", flags: bool = False) -> "Budget":
        """Validate user values; ``flags`` names keys as command-line flags (``--max-steps``) in errors."""
        def name(key: str) -> str:
            return "--" + key.replace("_", "-") if flags else key

        known = [f.name for f in dataclasses.fields(cls)]
        for key, value in values.items():
            if key not in known:
                raise RayganError(f"{source}: unknown key '{key}'; valid keys are {', '.join(known)}")
            if isinstance(value, bool) or not isinstance(value, int):
                raise RayganError(f"{source}: {name(key)} must be a whole number, got {value!r}")
        budget = cls(**values)
        for key in ("max_steps", "report_every", "checkpoint_every"):
            if getattr(budget, key) < 1:
                raise RayganError(f"{source}: {name(key)} must be at least 1, got {getattr(budget, key)}")
        if budget.report_every > budget.max_steps:
            raise RayganError(f"{source}: {name('report_every')} ({budget.report_every}) must not exceed "
                              f"{name('max_steps')} ({budget.max_steps})")
        for key in ("quick_num", "final_num"):
            value = getattr(budget, key)
            if value != 0 and value < MIN_SAMPLES:
                raise RayganError(f"{source}: {name(key)} must be 0 (no metrics) or at least {MIN_SAMPLES} "
                                  f"samples, got {value}")
        return budget

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
