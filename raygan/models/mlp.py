"""Fully connected GAN (``gan``) and conditional GAN (``cgan``) for images of any shape.

Hidden layers are Linear + LeakyReLU(0.2).  Options stabilise the small MLP game on
MNIST: batch norm in the generator's hidden layers (``g_norm="batch"``, the default, as
in PyTorch-GAN's MLP GAN), dropout in the discriminator's (``d_dropout``) and spectral
norm on the discriminator's layers (``d_norm="spectral"``; it has no batch norm).

Conditioning (``g_cond``, ``d_cond``; see :mod:`raygan.models.conditioning`): ``input``
concatenates the label code with z in G and with the flattened image in D; ``hidden`` maps the
label through its own dense layer and concatenates it with the first hidden layer's output, as
in Mirza & Osindero (2014).  ``cbn`` makes G's batch norms class-conditional, the first hidden
layer's included (no label joins after it then); ``projection`` and ``ac`` put a head on D's
last hidden layer.
"""
from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn

from raygan.models.base import Discriminator, Generator, leaky
from raygan.models.conditioning import DenseHiddenJoin, LabelHead, generator_norm, join_point, through

D_NORMS = ("none", "spectral")  # the discriminator's own first: it has no batch norm
KEYS = ("g_hidden", "d_hidden", "g_norm", "d_dropout")  # the config keys only the MLP nets read


Norm = Callable[[int], nn.Module] | None  # a hidden layer's norm for its width, or None for no norm


def _dense(fan_in: int, fan_out: int, norm: Norm = None, dropout: float = 0.0) -> list[nn.Module]:
    layers = [nn.Linear(fan_in, fan_out)]
    if norm is not None:
        layers.append(norm(fan_out))
    layers.append(leaky())
    if dropout:
        layers.append(nn.Dropout(dropout))
    return layers


def _dense_stack(widths: list[int], norm: Norm = None, dropout: float = 0.0) -> nn.Sequential:
    return nn.Sequential(*[layer for fan_in, fan_out in zip(widths, widths[1:])
                           for layer in _dense(fan_in, fan_out, norm, dropout)])


def build_generator(config, info, method: str | None) -> "MLPGenerator":
    """``method``: the generator's conditioning (None when unconditional)."""
    return MLPGenerator(config.latent_dim, config.g_hidden, info.image_shape, info.num_classes, method,
                        config.label_embedding, batch_norm=config.g_norm == "batch")


def build_discriminator(config, info, method: str | None, norm: str) -> "MLPDiscriminator":
    """``norm`` (none or spectral) needs nothing here: the registry puts spectral norm on the built net."""
    return MLPDiscriminator(config.d_hidden, info.image_shape, info.num_classes, method, config.label_embedding,
                            dropout=config.d_dropout)


class MLPGenerator(Generator):
    def __init__(self, latent_dim: int, hidden: tuple[int, ...], image_shape=(1, 28, 28), num_classes: int = 10,
                 method: str | None = None, label_embedding: int = 0, batch_norm: bool = True):
        super().__init__(latent_dim, image_shape, num_classes, conditional=method is not None)
        self.join = DenseHiddenJoin(num_classes, label_embedding, join_point(method), hidden[0])
        norm = (lambda width: generator_norm(width, False, num_classes, method)) if batch_norm else None
        # No batch norm on the first layer (its output may be joined with the label code), except under cbn,
        # where class-conditional batch norm is how the label gets in
        self.first = nn.Sequential(*_dense(latent_dim + self.join.width_at("input"), hidden[0],
                                           norm if method == "cbn" else None))
        widths = [hidden[0] + self.join.width_at("hidden"), *hidden[1:]]
        self.rest = _dense_stack(widths, norm)
        self.out = nn.Linear(widths[-1], math.prod(image_shape))

    def forward(self, z, labels=None):
        h = self.join.at("hidden", through(self.first, self.join.at("input", z, labels), labels), labels)
        return torch.tanh(self.out(through(self.rest, h, labels))).view(-1, *self.image_shape)


class MLPDiscriminator(Discriminator):
    def __init__(self, hidden: tuple[int, ...], image_shape=(1, 28, 28), num_classes: int = 10,
                 method: str | None = None, label_embedding: int = 0, dropout: float = 0.0):
        super().__init__()
        self.join = DenseHiddenJoin(num_classes, label_embedding, join_point(method), hidden[0])
        self.first = nn.Sequential(*_dense(math.prod(image_shape) + self.join.width_at("input"), hidden[0],
                                           dropout=dropout))
        widths = [hidden[0] + self.join.width_at("hidden"), *hidden[1:]]
        self.rest = _dense_stack(widths, dropout=dropout)
        self.out = nn.Linear(widths[-1], 1)
        self.head = LabelHead(method, num_classes, widths[-1], widths[-1])

    def features(self, images, labels):
        h = self.join.at("hidden", self.first(self.join.at("input", images.flatten(1), labels)), labels)
        return self.rest(h)
