"""The real side of every comparison: the evaluator's view of a dataset's held-out test split.

A :class:`Reference` holds the test split's features and the statistics metrics reuse
(Gaussian fit, k-NN radii, nearest-neighbour scale), each computed once per Reference.  A
:class:`~raygan.metrics.measurer.Measurer` builds one from its test split and keeps it for
the run, so nothing is cached per process.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import torch

from raygan.metrics import modes, prdc
from raygan.metrics.fid import gaussian_stats


@dataclass
class Reference:
    """Evaluator features of a dataset's test split and the statistics metrics reuse."""

    features: torch.Tensor
    _nn_distances: dict[int, float] = field(default_factory=dict, init=False, repr=False)

    @cached_property
    def stats(self) -> tuple[np.ndarray, np.ndarray]:
        return gaussian_stats(self.features)

    @cached_property
    def radii(self) -> torch.Tensor:
        return prdc.knn_radii(self.features)

    def median_nn_distance(self, n: int) -> float:
        """:func:`modes.median_nn_distance` of the first ``n`` features, computed once per n."""
        if n not in self._nn_distances:
            self._nn_distances[n] = modes.median_nn_distance(self.features[:n])
        return self._nn_distances[n]

    def to(self, device) -> "Reference":
        """The same features on ``device`` (the statistics are recomputed there on first use)."""
        return Reference(self.features.to(device))
