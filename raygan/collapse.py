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
  real images) stays below ``min_diversity`` for ``patience`` reports: it repeats itself.

Checks on sample quality only start after ``warmup_kimg`` thousand real images: every GAN
starts out producing one blob.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from raygan.errors import RayganError
from raygan.records import is_finite_number


@dataclass(frozen=True)
class CollapseRules:
    d_acc_max: float = 0.99
    min_classes: int = 2
    min_diversity: float = 0.25
    patience: int = 3
    warmup_kimg: float = 32.0  # 500 steps at batch 64

    @classmethod
    def from_dict(cls, values: dict, source: str = "collapse") -> "CollapseRules":
        known = {f.name: f.type for f in fields(cls)}
        for key, value in values.items():
            if key not in known:
                raise RayganError(f"{source}: unknown key '{key}'; valid keys are {', '.join(known)}")
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise RayganError(f"{source}: {key} must be a number, got {value!r}")
            if known[key] == "int" and not float(value).is_integer():
                raise RayganError(f"{source}: {key} must be a whole number, got {value!r}")
        rules = cls(**{k: (int(v) if known[k] == "int" else float(v)) for k, v in values.items()})
        if not 0 < rules.d_acc_max <= 1:
            raise RayganError(f"{source}: d_acc_max must be in (0, 1], got {rules.d_acc_max}")
        if rules.patience < 1:
            raise RayganError(f"{source}: patience must be at least 1, got {rules.patience}")
        if rules.min_classes < 0 or rules.min_diversity < 0 or rules.warmup_kimg < 0:
            raise RayganError(f"{source}: min_classes, min_diversity and warmup_kimg must be >= 0")
        return rules

    def to_dict(self) -> dict:
        return asdict(self)


def collapse_reason(history: list[dict], rules: CollapseRules) -> str | None:
    """Why the trial whose reports are ``history`` (oldest first) has collapsed, or None."""
    if not history:
        return None
    last = history[-1]
    if not all(is_finite_number(last.get(key, 0.0)) for key in ("loss_d", "loss_g")):
        return f"non-finite loss at step {last['step']} (learning rate too high?)"
    recent = history[-rules.patience:]
    if len(recent) < rules.patience:
        return None
    if all(r.get("d_acc", 0.0) >= rules.d_acc_max for r in recent):
        return (f"discriminator accuracy >= {rules.d_acc_max} for {rules.patience} reports "
                f"(step {last['step']}): the generator gets no useful gradient")
    if recent[0]["kimg"] <= rules.warmup_kimg:
        return None
    if all(r.get("classes_covered", math.inf) <= rules.min_classes for r in recent):
        return (f"samples cover {last['classes_covered']} classes or fewer for {rules.patience} reports "
                f"(step {last['step']}): mode collapse")
    if all(r.get("diversity", math.inf) < rules.min_diversity for r in recent):
        return (f"sample diversity {last['diversity']:.2f} < {rules.min_diversity} for {rules.patience} "
                f"reports (step {last['step']}): the generator repeats itself")
    return None
