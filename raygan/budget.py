"""How long a run trains and how often it reports, measures and checkpoints, in images.

Training length is counted in real images shown to the discriminator (``kimg``,
thousands of them, as stylegan2-ada counts), not in generator steps: a step at batch 128
shows D twice the images of a step at batch 64, so a budget in steps would favour large
batches whenever ``batch_size`` is searched.  ``python -m raygan.train`` still takes
``--steps`` and converts it with the run's batch size (:func:`kimg_of_steps`).

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
UNTIL_DEADLINE_KIMG = 1e9  # the length of a run bounded by its time budget alone
MIN_SAMPLES = 10  # the fewest samples every metric can be computed on (k-NN balls need k + 1 = 6, KID 2)
_KIMG_KEYS = ("max_kimg", "report_kimg")


@dataclass(frozen=True)
class Budget:
    max_kimg: float = 192.0  # thousands of real images shown to D (3,000 steps at batch 64)
    report_kimg: float = 16.0  # between reports (quality metrics, collapse checks, sample grids)
    checkpoint_every: int = 1  # reports between checkpoints (a new best and the last report always save)
    quick_num: int = QUICK_NUM  # samples for the per-report metrics (0: none)
    final_num: int = FINAL_NUM  # samples for the end-of-run metrics (0: none)

    @property
    def max_images(self) -> int:
        return round(self.max_kimg * 1000)

    @property
    def report_images(self) -> int:
        return round(self.report_kimg * 1000)

    @classmethod
    def from_dict(cls, values: dict, source: str = "budget", flags: bool = False) -> "Budget":
        """Validate user values; ``flags`` names keys as command-line flags (``--max-kimg``) in errors."""
        def name(key: str) -> str:
            return "--" + key.replace("_", "-") if flags else key

        known = [f.name for f in dataclasses.fields(cls)]
        for key, value in values.items():
            if key not in known:
                raise RayganError(f"{source}: unknown key '{key}'; valid keys are {', '.join(known)}")
            number = (int, float) if key in _KIMG_KEYS else int
            if isinstance(value, bool) or not isinstance(value, number):
                kind = "a number" if key in _KIMG_KEYS else "a whole number"
                raise RayganError(f"{source}: {name(key)} must be {kind}, got {value!r}")
        # lengths are whole images: kimg with three decimals
        budget = cls(**{k: round(float(v) * 1000) / 1000 if k in _KIMG_KEYS else v for k, v in values.items()})
        for key in _KIMG_KEYS:
            if not 0.001 <= getattr(budget, key) <= 1e9:  # at least one image
                raise RayganError(f"{source}: {name(key)} must be between 0.001 and 1e9 kimg, "
                                  f"got {getattr(budget, key)}")
        if budget.checkpoint_every < 1:
            raise RayganError(f"{source}: {name('checkpoint_every')} must be at least 1, got {budget.checkpoint_every}")
        if budget.report_kimg > budget.max_kimg:
            raise RayganError(f"{source}: {name('report_kimg')} ({budget.report_kimg}) must not exceed "
                              f"{name('max_kimg')} ({budget.max_kimg})")
        for key in ("quick_num", "final_num"):
            value = getattr(budget, key)
            if value != 0 and value < MIN_SAMPLES:
                raise RayganError(f"{source}: {name(key)} must be 0 (no metrics) or at least {MIN_SAMPLES} "
                                  f"samples, got {value}")
        return budget

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def images_per_step(batch_size: int, d_steps: int) -> int:
    """Real images D sees in one generator step: a batch for each of its ``d_steps`` updates."""
    return batch_size * d_steps


def kimg_of_steps(steps: int, batch_size: int, d_steps: int) -> float:
    return steps * images_per_step(batch_size, d_steps) / 1000
