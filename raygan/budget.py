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
from raygan.schema import build, setting

QUICK_NUM = 2000  # samples for the metrics of every report
FINAL_NUM = 10000  # samples for the metrics at the end of a run and of an export (the test split's size)
UNTIL_DEADLINE_KIMG = 1e9  # the length of a run bounded by its time budget alone
MIN_SAMPLES = 10  # the fewest samples every metric can be computed on (k-NN balls need k + 1 = 6, KID 2)
_KIMG_KEYS = ("max_kimg", "report_kimg")


@dataclass(frozen=True)
class Budget:
    # thousands of real images shown to D (3,000 steps at batch 64): at least one image
    max_kimg: float = setting(192.0, low=0.001, high=UNTIL_DEADLINE_KIMG, unit="kimg")
    # between reports (quality metrics, collapse checks, sample grids)
    report_kimg: float = setting(16.0, low=0.001, high=UNTIL_DEADLINE_KIMG, unit="kimg")
    # reports between checkpoints (a new best and the last report always save)
    checkpoint_every: int = setting(1, low=1)
    # samples for the per-report and the end-of-run metrics (0: none)
    quick_num: int = setting(QUICK_NUM, low=MIN_SAMPLES, off="no metrics", unit="samples")
    final_num: int = setting(FINAL_NUM, low=MIN_SAMPLES, off="no metrics", unit="samples")

    @property
    def max_images(self) -> int:
        return round(self.max_kimg * 1000)

    @property
    def report_images(self) -> int:
        return round(self.report_kimg * 1000)

    @classmethod
    def from_dict(cls, values: dict, source: str = "budget") -> "Budget":
        """Validate user values; errors name the fields (``max_kimg``) and carry them in ``fields``."""
        budget = build(cls, values, source)
        # lengths are whole images: kimg with three decimals
        budget = dataclasses.replace(budget, **{key: round(getattr(budget, key) * 1000) / 1000 for key in _KIMG_KEYS})
        if budget.report_kimg > budget.max_kimg:
            raise RayganError(f"{source}: report_kimg ({budget.report_kimg}) must not exceed max_kimg "
                              f"({budget.max_kimg})", ("report_kimg", "max_kimg"))
        return budget

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def images_per_step(batch_size: int, d_steps: int) -> int:
    """Real images D sees in one generator step: a batch for each of its ``d_steps`` updates."""
    return batch_size * d_steps


def kimg_of_steps(steps: int, batch_size: int, d_steps: int) -> float:
    return steps * images_per_step(batch_size, d_steps) / 1000
