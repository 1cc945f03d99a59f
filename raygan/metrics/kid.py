"""Kernel inception distance (KID, Binkowski et al. 2018): unbiased MMD^2, cubic kernel.

    k(x, y) = (x . y / d + 1)^3

KID has no Gaussian assumption and an unbiased estimator, so unlike FID its expected
value does not depend on the number of samples; it is averaged over random subsets of
``min(subset_size, n, m)`` vectors from each set.  Being unbiased, it can come out slightly
negative when the two sets are indistinguishable.  Kernel sums are taken in float64: the
three terms are large and nearly cancel.
"""
from __future__ import annotations

import torch


def _kernel_sum(x: torch.Tensor, y: torch.Tensor, exclude_diagonal: bool = False) -> torch.Tensor:
    gram = (x @ y.T / x.shape[1] + 1.0) ** 3
    total = gram.sum()
    return total - gram.diagonal().sum() if exclude_diagonal else total


def mmd2_unbiased(x: torch.Tensor, y: torch.Tensor) -> float:
    """Unbiased MMD^2 between two equally sized samples (m, D) under the cubic kernel."""
    m = x.shape[0]
    within = (_kernel_sum(x, x, True) + _kernel_sum(y, y, True)) / (m * (m - 1))
    return (within - 2.0 * _kernel_sum(x, y) / (m * m)).item()


def kid(features_a: torch.Tensor, features_b: torch.Tensor, subset_size: int = 1000,
        num_subsets: int = 100, seed: int = 0) -> tuple[float, float]:
    """Mean and standard deviation of unbiased MMD^2 over ``num_subsets`` random subsets."""
    a, b = features_a.double(), features_b.double()
    m = min(subset_size, a.shape[0], b.shape[0])
    if m < 2:
        raise ValueError(f"KID needs at least 2 feature vectors per set, got {m}")
    generator = torch.Generator().manual_seed(seed)
    values = torch.tensor([
        mmd2_unbiased(a[torch.randperm(a.shape[0], generator=generator)[:m].to(a.device)],
                      b[torch.randperm(b.shape[0], generator=generator)[:m].to(b.device)])
        for _ in range(num_subsets)
    ], dtype=torch.float64)
    std = values.std().item() if num_subsets > 1 else 0.0
    return values.mean().item(), std
