"""The generator's weight average, defined in images rather than steps (stylegan2-ada's ``ema_kimg``).

A decay per step (the old ``g_ema``) keeps a history that depends on the batch size: 0.999 is a
half-life of 44 kimg at batch 64 and 89 kimg at batch 128, so a search over batch sizes also
searched, unseen, how much the average remembers.  Here the half-life is ``ema_kimg`` thousand
real images whatever the batch: each update keeps ``0.5 ** (step_images / half_life)`` of the
average.  Early weights are noise, so the half-life ramps up with training (``ema_rampup``): it
is at most that share of the images seen so far.  Both follow stylegan2-ada's training loop.
"""
from __future__ import annotations

import math

# the half-life and ramp-up equal to the warmed-up per-step decay every measurement before ema_kimg
# used: g_ema 0.999 at batch 64 and min(g_ema, (1 + step) / (10 + step)), whose half-life grows as
# ln(2) / 9 of the images seen
DEFAULT_EMA_KIMG = 44.3
DEFAULT_EMA_RAMPUP = 0.077


def ema_beta(images_seen: int, step_images: int, ema_kimg: float, ema_rampup: float) -> float:
    """The share of the average one update keeps, after ``images_seen`` real images, for a step of
    ``step_images``: half of it is gone after ``ema_kimg`` thousand images (or ``ema_rampup`` of
    ``images_seen``, whichever is less; a ramp-up of 0 is none)."""
    half_life = ema_kimg * 1000
    if ema_rampup:
        half_life = min(half_life, images_seen * ema_rampup)
    return 0.5 ** (step_images / half_life) if half_life > 0 else 0.0


def ema_kimg_of_decay(decay: float, step_images: int) -> float:
    """The ``ema_kimg`` whose half-life equals a per-step ``decay`` at ``step_images`` per step (0 for none):
    how a config written with ``g_ema`` keeps its average."""
    if decay <= 0:
        return 0.0
    return step_images * math.log(0.5) / math.log(decay) / 1000
