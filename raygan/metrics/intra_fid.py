"""Intra-class FID (Miyato & Koyama 2018, the projection discriminator paper): FID within each class, averaged.

For each class the samples were generated for, the FID between the evaluator features of
the samples generated for it and those of the test split's images of it; ``intra_fid`` is
the mean over those classes.  FID over all samples cannot see a conditional generator that
draws fine digits of the wrong class, or one class well and another badly; intra-FID does.

Every class needs at least :data:`MIN_PER_CLASS` feature vectors on both sides (a
covariance).  Like any FID it is biased upwards at small sample counts (a quick report has
about 200 samples per class, fewer than the 128 feature dimensions), so compare two values
only at the same ``samples_per_class``, which every record with it carries.
"""
from __future__ import annotations

import numpy as np
import torch

from raygan.errors import RayganError
from raygan.metrics.fid import frechet_distance, gaussian_stats
from raygan.metrics.modes import class_counts

MIN_PER_CLASS = 2
Stats = tuple[np.ndarray, np.ndarray]  # mean and covariance


def class_stats(features: torch.Tensor, labels: torch.Tensor) -> dict[int, Stats]:
    """Gaussian statistics of the features of each class in ``labels`` with at least MIN_PER_CLASS of them."""
    return {c: gaussian_stats(features[labels == c]) for c, n in class_counts(labels).items() if n >= MIN_PER_CLASS}


def shortfall(labels: torch.Tensor, real: dict[int, Stats]) -> str | None:
    """Why intra-FID cannot be measured for samples generated for ``labels`` against the real classes
    ``real`` (a class with too few samples, or too few test images), or None."""
    for c, n in class_counts(labels).items():
        if n < MIN_PER_CLASS:
            return (f"metric 'intra_fid' needs at least {MIN_PER_CLASS} samples of each class; class {c} has {n} "
                    "(draw more samples)")
        if c not in real:
            return (f"metric 'intra_fid' needs at least {MIN_PER_CLASS} test images of each class generated for; "
                    f"the test split has fewer of class {c} (add some, or leave intra_fid out of metrics)")
    return None


def intra_fid(features: torch.Tensor, labels: torch.Tensor, real: dict[int, Stats]) -> float:
    """Mean over the classes in ``labels`` of the FID between their samples' ``features`` and ``real[class]``."""
    reason = shortfall(labels, real)
    if reason is not None:
        raise RayganError(reason, fields="metrics")
    fake = class_stats(features, labels)
    return float(np.mean([frechet_distance(*stats, *real[c]) for c, stats in fake.items()]))
