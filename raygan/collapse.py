"""Collapse detection: when a GAN trial is no longer worth its compute.

Pure logic over a run's sequence of reports, so it is tested without Ray.  The run loop
(:mod:`raygan.run_loop`) annotates every report with :func:`collapse_reason` (``collapsed``
and ``collapse_reason``) and ends the run on it, so the last report says why it stopped
while its metric stays finite for Optuna.

A trial has collapsed when:

- its losses are non-finite (the optimiser diverged);
- the discriminator's accuracy stays at or above ``d_acc_max`` for ``patience`` reports
  in a row: D has won, and the non-saturating loss gives G almost no useful signal;
- its samples fall into ``min_classes`` classes or fewer for ``patience`` reports;
- its samples' ``diversity`` (nearest-neighbour spread relative to real data, about 1 for
  real images) stays below ``min_diversity`` for ``patience`` reports: it repeats itself;
- with ``d_gap_max`` set (0: off), D judges real training images real more often than
  held-out real ones (``d_acc_train`` minus ``d_acc_heldout``) by ``d_gap_max`` or more for
  ``patience`` reports: it has memorised the training set, what small data leads to.

Checks on sample quality only start after ``warmup_kimg`` thousand real images: every GAN
starts out producing one blob.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from raygan.records import is_finite_number
from raygan.schema import build, setting


@dataclass(frozen=True)
class CollapseRules:
    d_acc_max: float = setting(0.99, low=0, above=True, high=1)
    min_classes: int = setting(2, low=0)
    min_diversity: float = setting(0.25, low=0)
    patience: int = setting(3, low=1)
    warmup_kimg: float = setting(32.0, low=0)  # 500 steps at batch 64
    d_gap_max: float = setting(0.0, low=0, above=True, high=1, off="no memorisation check")

    @classmethod
    def from_dict(cls, values: dict, source: str = "collapse") -> "CollapseRules":
        return build(cls, values, source)

    def to_dict(self) -> dict:
        return asdict(self)


def collapse_reason(history: list[dict], rules: CollapseRules) -> str | None:
    """Why the trial whose reports are ``history`` (oldest first) has collapsed, or None."""
    if not history:
        return None
    last = history[-1]
    if not all(is_finite_number(last.get(key, 0.0)) for key in ("loss_d", "loss_g")):
        return f"non-finite loss at {last['kimg']:g} kimg (learning rate too high?)"
    recent = history[-rules.patience:]
    if len(recent) < rules.patience:
        return None
    if all(r.get("d_acc", 0.0) >= rules.d_acc_max for r in recent):
        return (f"discriminator accuracy >= {rules.d_acc_max} for {rules.patience} reports "
                f"(at {last['kimg']:g} kimg): the generator gets no useful gradient")
    if recent[0]["kimg"] <= rules.warmup_kimg:
        return None
    if all(r.get("classes_covered", math.inf) <= rules.min_classes for r in recent):
        return (f"samples cover {last['classes_covered']} classes or fewer for {rules.patience} reports "
                f"(at {last['kimg']:g} kimg): mode collapse")
    if all(r.get("diversity", math.inf) < rules.min_diversity for r in recent):
        return (f"sample diversity {last['diversity']:.2f} < {rules.min_diversity} for {rules.patience} "
                f"reports (at {last['kimg']:g} kimg): the generator repeats itself")
    gaps = [r["d_acc_train"] - r["d_acc_heldout"] for r in recent if "d_acc_heldout" in r]
    if rules.d_gap_max and len(gaps) == len(recent) and all(gap >= rules.d_gap_max for gap in gaps):
        return (f"D judges training images real {gaps[-1]:.2f} more often than held-out ones for {rules.patience} "
                f"reports (at {last['kimg']:g} kimg): it memorised the training set (augment, or more images)")
    return None
