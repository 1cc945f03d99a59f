"""Self-conditioning: an unconditional model whose nets are conditioned on clusters of the data.

With ``clusters`` k > 0, ``gan`` and ``dcgan`` build their conditional nets for k classes and
train them on the clusters of :mod:`raygan.data.clusters`:
D sees each real image with its cluster, G draws with a cluster chosen from its own latent
vector.  The generator a user holds stays unconditional: :class:`SelfConditioned` picks the
cluster from z (the normal CDF of z's first coordinate, cut at the clusters' cumulative shares
of the training images), so sampling, export, ONNX and ``evaluate`` take z alone, and the same
z always draws the same image.

The nets take the cluster by class-conditional batch norm in G and a projection head in D
(:mod:`raygan.models.conditioning`): their cost does not grow with k, where a concatenated
one-hot code adds k feature maps to a DCGAN layer, and on real labels this pair was the best or
near it for both architectures on MNIST and Fashion-MNIST (``bench/RESULTS.md``, conditioning).
"""
from __future__ import annotations

import dataclasses
import math

import torch

from raygan.models.base import Generator

G_METHOD, D_METHOD = "cbn", "projection"  # how each net takes the cluster (raygan.models.conditioning)
KEYS = ("clusters",)  # the config keys only unconditional models read


def cluster_info(info, count: int):
    """``info`` with ``count`` classes named for clusters: what the nets are built for."""
    return dataclasses.replace(info, class_names=tuple(f"cluster {i}" for i in range(count)))


class SelfConditioned(Generator):
    """An unconditional generator over a conditional ``net``: z's first coordinate chooses the cluster.

    ``boundaries`` (a buffer, saved with the weights) holds the clusters' cumulative shares; they
    start even and the trainer sets them from the data (:meth:`set_shares`).
    """

    def __init__(self, net: Generator, num_classes: int):
        """``net``: conditional on the clusters; ``num_classes``: the data's own classes, as any generator knows."""
        super().__init__(net.latent_dim, net.image_shape, num_classes, conditional=False)
        self.net = net
        self.clusters = net.num_classes
        self.register_buffer("boundaries", torch.arange(1, self.clusters, dtype=torch.float32) / self.clusters)

    def set_shares(self, shares: torch.Tensor) -> None:
        """Draw each cluster as often as ``shares`` (k,), summing to 1, says: the training images' shares."""
        if shares.shape != (self.clusters,):
            raise ValueError(f"expected {self.clusters} shares, got {tuple(shares.shape)}")
        cumulative = torch.cumsum(shares.double(), 0)[:-1] / shares.double().sum()
        self.boundaries.copy_(cumulative.float())

    def cluster_of(self, z: torch.Tensor) -> torch.Tensor:
        """The cluster each latent vector draws (N,) int64: Φ(z[:, 0]) against the cumulative shares."""
        uniform = 0.5 * (1 + torch.erf(z[:, 0] / math.sqrt(2)))
        return (uniform[:, None] > self.boundaries).sum(1)

    def forward(self, z, labels=None):
        return self.net(z, self.cluster_of(z))
