"""How a class label joins a conditional generator or discriminator: conditioning in one place.

A conditional net turns each label into a *code* (:class:`LabelCode`: one-hot, or a learned
embedding when ``label_embedding`` > 0) and joins it to its activations at one *point*:

- ``input``: with G's latent vector, with D's image;
- ``hidden``: after the first layer: the first hidden layer of an MLP, the DCGAN generator's
  start map, the output of the DCGAN discriminator's first convolution.

A code joins vectors by concatenation and feature maps as constant maps, one per code
dimension (:func:`attach`).  The MLP nets first map it through their own dense layer at
``hidden`` (:class:`DenseHiddenJoin`, as in Mirza & Osindero 2014).  Every net calls
``at(point, x, labels)`` at each of its points and sizes its layers with ``width_at(point)``;
the label joins at its own point only, and an unconditional net's join does nothing.

:data:`METHODS` says, for each value of the config's ``cond``, where the label joins each net.
A new method (class-conditional batch norm in G, a projection or auxiliary-classifier head in
D) is a new entry there, with the join it needs added here.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from raygan.models.base import leaky

KEYS = ("cond", "label_embedding")  # the config keys only conditional models read


@dataclass(frozen=True)
class Method:
    """Where one ``cond`` value joins the label to each net."""

    generator: str
    discriminator: str


METHODS = {
    "input": Method(generator="input", discriminator="input"),
    "hidden": Method(generator="hidden", discriminator="hidden"),
}
CONDITIONINGS = tuple(METHODS)


def join_point(cond: str | None, net: str) -> str | None:
    """Where the label joins ``net`` ("generator" or "discriminator") under ``cond``; None when unconditional."""
    return getattr(METHODS[cond], net) if cond else None


def attach(x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
    """``x`` with ``code`` concatenated to its features: as is to vectors, as constant maps to (N, C, H, W) maps."""
    if x.dim() == 4:
        code = code[:, :, None, None].expand(-1, -1, *x.shape[2:])
    return torch.cat([x, code], 1)


class LabelCode(nn.Module):
    """Class labels as vectors, one-hot (``embedding == 0``) or a learned embedding, joined at ``point``.

    With no point (an unconditional net) it holds no weights and joins nothing.
    """

    def __init__(self, num_classes: int, embedding: int, point: str | None):
        super().__init__()
        self.num_classes = num_classes
        self.point = point
        self.table = nn.Embedding(num_classes, embedding) if embedding and point else None
        self.dim = embedding or num_classes

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        if self.table is None:
            return nn.functional.one_hot(labels, self.num_classes).float()
        return self.table(labels)

    def width_at(self, point: str) -> int:
        """Features (channels, for maps) the code adds at ``point``."""
        return self.dim if point == self.point else 0

    def at(self, point: str, x: torch.Tensor, labels) -> torch.Tensor:
        """``x``, with the code attached if the label joins at ``point``."""
        return attach(x, self(labels)) if point == self.point else x


class DenseHiddenJoin(nn.Module):
    """A :class:`LabelCode` that, at ``hidden``, first passes its own dense layer + LeakyReLU to ``width``
    features: the MLP nets' join (Mirza & Osindero 2014)."""

    def __init__(self, num_classes: int, embedding: int, point: str | None, width: int):
        super().__init__()
        self.code = LabelCode(num_classes, embedding, point)
        self.to_hidden = nn.Sequential(nn.Linear(self.code.dim, width), leaky()) if point == "hidden" else None

    def width_at(self, point: str) -> int:
        if point == "hidden" and self.to_hidden is not None:
            return self.to_hidden[0].out_features
        return self.code.width_at(point)

    def at(self, point: str, x: torch.Tensor, labels) -> torch.Tensor:
        if point == "hidden" and self.to_hidden is not None:
            return attach(x, self.to_hidden(self.code(labels)))
        return self.code.at(point, x, labels)
