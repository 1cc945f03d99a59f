"""Memorisation: the share of samples that sit closer to a training image than unseen real images do.

A generator trained on a few hundred images can learn to replay them.  In the evaluator's
feature space, every real test image has a nearest training image; the ``COPY_QUANTILE``
(5 %) quantile of those distances is how close an *unseen* real image comes to the training
set only rarely.  A sample nearer than that to its nearest training image counts as a copy,
so real unseen images score about ``COPY_QUANTILE`` (the real-vs-real level) and a generator
that returns training images scores 1.  ``copy_rate`` is that share; the closest pairs
(sample, training image) are what a person should look at (:meth:`CopyCheck.closest`).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

COPY_QUANTILE = 0.05
# the check's size: every training image of a small folder (up to 5,000, the sizes memorisation threatens), the first
# 5,000 of a larger set (a generator that copied all of MNIST's 60,000 would read about 1/12 there), and up to 2,000
# samples and test images: about 2 s on two CPU cores, where the whole of MNIST would take 20
REFERENCE_IMAGES = 5_000
CHECKED = 2_000
COPY_WARNING = 0.25  # five times the real-vs-real level: a generator this close to its data copies it
CHUNK = 256  # query rows per distance block: 256 x 5,000 floats is 5 MB


def nearest(queries: torch.Tensor, keys: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For each row of ``queries`` (N, D), the Euclidean distance to its nearest row of ``keys`` (M, D)
    and that row's index, in blocks of ``CHUNK`` queries."""
    distances, indices = [], []
    for start in range(0, queries.shape[0], CHUNK):
        block = torch.cdist(queries[start:start + CHUNK], keys)
        found = block.min(dim=1)
        distances.append(found.values)
        indices.append(found.indices)
    if not distances:
        return queries.new_zeros(0), torch.zeros(0, dtype=torch.long, device=queries.device)
    return torch.cat(distances), torch.cat(indices)


@dataclass(frozen=True)
class CopyCheck:
    distances: torch.Tensor  # each sample's distance to its nearest training image
    nearest: torch.Tensor  # that training image's index
    threshold: float  # the COPY_QUANTILE quantile of test images' distances to their nearest training image

    @property
    def rate(self) -> float:
        return (self.distances < self.threshold).float().mean().item() if len(self.distances) else 0.0

    def record(self) -> dict:
        return {"copy_rate": self.rate, "copy_threshold": self.threshold, "copy_samples": len(self.distances)}

    def closest(self, count: int) -> list[tuple[int, int]]:
        """The ``count`` (sample index, training index) pairs that are closest, closest first."""
        order = self.distances.argsort()[:count].tolist()
        return [(i, int(self.nearest[i])) for i in order]


def copy_check(sample_features: torch.Tensor, train_features: torch.Tensor,
               test_features: torch.Tensor) -> CopyCheck:
    """Samples' nearest training images, judged against how near unseen test images come (the first ``CHECKED``
    of each)."""
    test_distances, _ = nearest(test_features[:CHECKED], train_features)
    threshold = torch.quantile(test_distances.float(), COPY_QUANTILE).item()
    distances, indices = nearest(sample_features[:CHECKED], train_features)
    return CopyCheck(distances, indices, threshold)


def copy_warning(record: dict, grid: str) -> str | None:
    """One line for a person when a final ``record``'s copy rate says the generator copies its training set."""
    rate = record.get("copy_rate")
    if rate is None or rate < COPY_WARNING:
        return None
    return (f"warning: copy rate {rate:.2f}: that share of the samples sit nearer a training image than "
            f"{1 - COPY_QUANTILE:.0%} of unseen real images do (unseen images: {COPY_QUANTILE:g}); the generator "
            f"copies its training set (the closest pairs: {grid}); use more images or augment: ada")
