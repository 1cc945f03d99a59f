"""Mode collapse and conditioning: which classes the evaluator sees in the samples.

``classes_covered`` counts the classes that receive at least ``min_share`` of the uniform
share of the samples' predicted labels.  With the default 0.1 and 10 classes a class
counts once it holds 1 % of the samples, so stray misclassifications (the evaluator errs
on under 1 % of real images) do not make a collapsed generator look diverse.
"""
from __future__ import annotations

import math

import torch


def class_histogram(probs: torch.Tensor) -> torch.Tensor:
    """Share of samples (float64, sums to 1) predicted as each class, from probs (N, C)."""
    counts = torch.bincount(probs.argmax(dim=1), minlength=probs.shape[1]).double()
    return counts / counts.sum().clamp(min=1.0)


def classes_covered(probs: torch.Tensor, min_share: float = 0.1) -> int:
    """Number of classes predicted for at least ``min_share / C`` of the samples."""
    histogram = class_histogram(probs)
    return int((histogram >= min_share / histogram.numel()).sum().item())


def class_kl(probs: torch.Tensor) -> float:
    """KL(predicted-class histogram || uniform) in nats: 0 when balanced, log C for one class."""
    histogram = class_histogram(probs)
    return (torch.special.xlogy(histogram, histogram).sum() + math.log(histogram.numel())).item()


def label_accuracy(probs: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of samples classified as the label they were generated for."""
    return (probs.argmax(dim=1) == labels.to(probs.device)).double().mean().item()


def median_nn_distance(features: torch.Tensor) -> float:
    """Median over points of the distance to their nearest other point (float64)."""
    points = features.double()
    distances = torch.cdist(points, points)
    distances.fill_diagonal_(float("inf"))
    return distances.min(dim=1).values.median().item()
