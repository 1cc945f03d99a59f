"""Pseudo-labels for unlabelled training: k-means clusters of the training images' pixels.

An unconditional generator maps one connected latent space onto data that falls into separate
modes (ten digits, ten kinds of clothes), so some of its samples land between modes, where no
real image is; a classifier's features, and so FID, punish those blends hardest.  A conditional
generator is told which mode to draw and blends far less (on 2 CPU cores ``cdcgan`` reaches fid
5.1 on MNIST where ``dcgan`` stays near 45; ``bench/RESULTS.md``).  Self-conditioned GANs (Liu et
al., "Diverse Image Generation via Self-Conditioned GANs", CVPR 2020) get that benefit without
labels by conditioning both nets on clusters of the data.  Here the clusters are k-means on the
training images' pixels, average-pooled to at most :data:`POOLED` pixels a side, computed once
per run and deterministic for a seed, so a resumed run and a re-built generator see the same
clusters.  The config's ``clusters`` key turns it on (:mod:`raygan.models.self_conditioning`).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.nn import functional as F

POOLED = 14  # pixels a side the images are pooled to before clustering (MNIST's 28 -> 14: 196 features)
FIT_IMAGES = 10000  # the centres are fitted on at most this many images (a seeded draw), then every image assigned
ITERATIONS = 25  # at most this many Lloyd iterations after k-means++ seeding
SETTLED = 0.002  # ... stopping once fewer than this share of the images change cluster


@dataclass(frozen=True)
class Clusters:
    """The k-means centres (in pooled-pixel space) and each training image's cluster."""

    centres: torch.Tensor  # (k, features)
    assignments: torch.Tensor  # (N,) int64

    @property
    def count(self) -> int:
        return self.centres.shape[0]

    def shares(self) -> torch.Tensor:
        """The share of training images in each cluster (k,), summing to 1: how often to draw each."""
        counts = torch.bincount(self.assignments, minlength=self.count).double()
        return (counts / counts.sum()).float()

    def assign(self, images_uint8: torch.Tensor) -> torch.Tensor:
        """The nearest centre of each of ``images_uint8`` (N, C, H, W): other images' clusters (held-out ones)."""
        return _nearest(features(images_uint8).to(self.centres.device), self.centres).to(images_uint8.device)


def features(images_uint8: torch.Tensor) -> torch.Tensor:
    """Images (N, C, H, W) in 0..255 as pooled pixel vectors in [0, 1], float32 on the CPU."""
    x = images_uint8.detach().to("cpu", torch.float32).div_(255.0)
    side = x.shape[-1]
    if side > POOLED:
        x = F.adaptive_avg_pool2d(x, POOLED)
    return x.flatten(1)


def _nearest(x: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """The index of each row's nearest centre: argmin of |c|^2 - 2 x.c, one matrix product (|x|^2 is common)."""
    return ((centres ** 2).sum(1) - 2 * x @ centres.T).argmin(1)


def cluster_images(images_uint8: torch.Tensor, count: int, seed: int = 0) -> Clusters:
    """k-means with ``count`` clusters of ``images_uint8`` (N, C, H, W), seeded by k-means++ from ``seed``.

    The centres are fitted on :data:`FIT_IMAGES` of the images drawn with ``seed`` (all of them when there
    are fewer): a run starts in a fraction of the time, and ten thousand images place 100 centres about as
    well as sixty thousand.  A cluster left empty by an iteration takes the image farthest from its centre;
    with fewer distinct images than clusters some stay empty, and their share is 0.  Raises ValueError when
    there are fewer images than clusters.
    """
    x = features(images_uint8)
    if count < 1 or count > len(x):
        raise ValueError(f"cannot make {count} clusters of {len(x)} images")
    rng = torch.Generator().manual_seed(seed)
    fit = x if len(x) <= FIT_IMAGES else x[torch.randperm(len(x), generator=rng)[:FIT_IMAGES]]
    centres = _seed_centres(fit, count, rng)
    assignments = _nearest(fit, centres)
    for _ in range(ITERATIONS):
        sums = torch.zeros_like(centres).index_add_(0, assignments, fit)
        sizes = torch.bincount(assignments, minlength=count)
        empty = (sizes == 0).nonzero().flatten()
        centres = sums / sizes.clamp(min=1)[:, None].float()
        if len(empty):
            distance = (fit - centres[assignments]).norm(dim=1)
            centres[empty] = fit[distance.topk(len(empty)).indices]
        previous, assignments = assignments, _nearest(fit, centres)
        if (previous != assignments).float().mean() < SETTLED and not len(empty):
            break
    return Clusters(centres, _nearest(x, centres))


def _seed_centres(x: torch.Tensor, count: int, rng: torch.Generator) -> torch.Tensor:
    """k-means++ (Arthur & Vassilvitskii 2007): each next centre drawn with probability ~ squared distance."""
    norms = (x ** 2).sum(1)

    def squared_distance(i: int) -> torch.Tensor:
        return (norms - 2 * x @ x[i] + norms[i]).clamp_(min=0)

    chosen = [int(torch.randint(len(x), (1,), generator=rng))]
    closest = squared_distance(chosen[0])
    for _ in range(count - 1):
        total = closest.double().cumsum(0)
        if float(total[-1]) <= 0:  # fewer distinct images than clusters: any image will do
            total = torch.arange(1, len(x) + 1, dtype=torch.float64)
        draw = torch.rand((), generator=rng, dtype=torch.float64) * total[-1]
        chosen.append(min(int(torch.searchsorted(total, draw, right=True)), len(x) - 1))
        closest = torch.minimum(closest, squared_distance(chosen[-1]))
    return x[chosen].clone()
