"""The real side of every comparison: the evaluator's view of a dataset's held-out test split.

A :class:`Reference` holds the test split's features and labels and the statistics metrics
reuse (Gaussian fit, per-class Gaussian fits for intra-FID, k-NN radii, nearest-neighbour
scale), each computed once per Reference; they travel with it when it moves to another
device or is pickled.  A :class:`~raygan.metrics.measurer.Measurer` builds one from its test
split and keeps it for the run, so nothing is cached per process.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import torch

from raygan.metrics import intra_fid, modes, prdc
from raygan.metrics.fid import gaussian_stats


@dataclass
class Reference:
    """Evaluator features of a dataset's test split, its labels and the statistics metrics reuse."""

    features: torch.Tensor
    labels: torch.Tensor | None = None  # the test split's classes; None for data without classes
    _nn_distances: dict[int, float] = field(default_factory=dict, init=False, repr=False)

    @cached_property
    def stats(self) -> tuple[np.ndarray, np.ndarray]:
        return gaussian_stats(self.features)

    @cached_property
    def class_stats(self) -> dict[int, intra_fid.Stats]:
        """Gaussian statistics of each class's features (of the classes with enough test images)."""
        if self.labels is None:
            raise ValueError("this reference has no labels: its data has no classes")
        return intra_fid.class_stats(self.features, self.labels)

    @cached_property
    def radii(self) -> torch.Tensor:
        return prdc.knn_radii(self.features)

    def median_nn_distance(self, n: int) -> float:
        """:func:`modes.median_nn_distance` of the first ``n`` features, computed once per n."""
        if n not in self._nn_distances:
            self._nn_distances[n] = modes.median_nn_distance(self.features[:n])
        return self._nn_distances[n]

    def to(self, device) -> "Reference":
        """The same reference on ``device``, with the statistics computed so far (numpy's are on no device)."""
        moved = Reference(self.features.to(device), None if self.labels is None else self.labels.to(device))
        moved._nn_distances.update(self._nn_distances)
        for name in ("stats", "class_stats"):
            if name in self.__dict__:
                moved.__dict__[name] = self.__dict__[name]
        if "radii" in self.__dict__:
            moved.__dict__["radii"] = self.radii.to(device)
        return moved
