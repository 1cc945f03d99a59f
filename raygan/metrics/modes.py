"""Mode collapse and conditioning: which classes the evaluator sees in the samples.

For conditional generators, ``label_accuracy`` is the share of all samples classified as
the label they were generated for, and :func:`per_class_accuracy` the same share within
each requested class, whose lowest (``label_acc_worst``) shows a class the generator fails
at even when the mean looks good.

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


def _hits(probs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Whether each sample is classified as the label it was generated for (float64 0/1)."""
    return (probs.argmax(dim=1) == labels.to(probs.device)).double()


def label_accuracy(probs: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of samples classified as the label they were generated for."""
    return _hits(probs, labels).mean().item()


def class_counts(labels: torch.Tensor) -> dict[int, int]:
    """How many samples were generated for each class, for the classes in ``labels`` only."""
    classes, counts = torch.unique(labels, return_counts=True)
    return dict(zip(classes.tolist(), counts.tolist()))


def per_class_accuracy(probs: torch.Tensor, labels: torch.Tensor) -> dict[int, float]:
    """For each class in ``labels``: the fraction of the samples generated for it classified as it."""
    labels = labels.to(probs.device)
    hits = torch.bincount(labels, weights=_hits(probs, labels))
    return {c: hits[c].item() / n for c, n in class_counts(labels).items()}


def median_nn_distance(features: torch.Tensor) -> float:
    """Median over points of the distance to their nearest other point (float64)."""
    points = features.double()
    distances = torch.cdist(points, points)
    distances.fill_diagonal_(float("inf"))
    return distances.min(dim=1).values.median().item()
