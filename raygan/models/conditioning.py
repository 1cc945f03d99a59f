"""How a class label conditions a generator and a discriminator: every conditioning method in one place.

Each net has its own method, chosen by the config's ``g_cond`` and ``d_cond`` (``auto``: the
shared ``cond``, which is ``input`` or ``hidden``):

==============  ========================================================================
``input``       the label's code concatenated with G's latent vector, with D's image
``hidden``      concatenated after the first layer: the first hidden layer of an MLP, the
                DCGAN generator's start map, the output of the DCGAN discriminator's first
                convolution
``cbn``         (G) class-conditional batch norm: every batch norm of G normalises without
                its own gain and bias and takes a gain and a bias per class instead
                (de Vries et al. 2017; BigGAN, SNGAN's conditional generator)
``projection``  (D) a projection head: the inner product of a learned class embedding with
                D's last features, summed over positions, is added to its logit (Miyato &
                Koyama 2018)
``ac``          (D) an auxiliary classifier head: D also predicts the class of what it sees,
                and the cross-entropy of that prediction (weighted by ``ac_weight``) is added
                to D's loss on real images and to G's loss on generated ones (after Odena et
                al. 2017, whose D also learns to classify generated images; here it learns
                from real ones only, so that G cannot teach it wrong classes)
==============  ========================================================================

The concatenating methods turn each label into a *code* (:class:`LabelCode`: one-hot, or a
learned embedding when ``label_embedding`` > 0) and join it to the activations at their point
(:func:`attach`: vectors as they are, feature maps as constant maps, one per code dimension);
the MLP nets first map it through their own dense layer at ``hidden`` (:class:`DenseHiddenJoin`,
as in Mirza & Osindero 2014).  Every net calls ``at(point, x, labels)`` at each of its points and
sizes its layers with ``width_at(point)``: the code joins at its own point only, and a net that
does not concatenate joins nothing there.  Generators build their batch norms with
:func:`generator_norm` and run them with :func:`through`; discriminators end in a :class:`LabelHead`.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from raygan.models.base import leaky

CONDITIONINGS = ("input", "hidden")  # the shared ``cond``: where both nets concatenate the label
G_METHODS = CONDITIONINGS + ("cbn",)
D_METHODS = CONDITIONINGS + ("projection", "ac")
KEYS = ("cond", "g_cond", "d_cond", "label_embedding", "ac_weight")  # the config keys only conditional models read


def resolve(cond: str, method: str) -> str:
    """A net's method: its own ``g_cond``/``d_cond``, or the shared ``cond`` for ``auto``."""
    return cond if method == "auto" else method


def join_point(method: str | None) -> str | None:
    """Where a concatenating method joins the label code (``input`` or ``hidden``); None for the others
    and for an unconditional net (``method`` None)."""
    return method if method in CONDITIONINGS else None


def attach(x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
    """``x`` with ``code`` concatenated to its features: as is to vectors, as constant maps to (N, C, H, W) maps."""
    if x.dim() == 4:
        code = code[:, :, None, None].expand(-1, -1, *x.shape[2:])
    return torch.cat([x, code], 1)


class LabelCode(nn.Module):
    """Class labels as vectors, one-hot (``embedding == 0``) or a learned embedding, joined at ``point``.

    With no point (a net that does not concatenate) it holds no weights and joins nothing.
    """

    def __init__(self, num_classes: int, embedding: int, point: str | None):
        super().__init__()
        self.num_classes = num_classes
        self.point = point
        self.table = nn.Embedding(num_classes, embedding) if embedding and point else None
        self.dim = embedding or num_classes

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        if self.table is None:
            return F.one_hot(labels, self.num_classes).float()
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


class ClassBatchNorm(nn.Module):
    """Batch norm whose gain and bias are looked up per class: ``gain[y] * normalised(x) + bias[y]``.

    The statistics are the batch's, shared by all classes, as in plain batch norm; gains start
    at 1 and biases at 0, so an untrained net is the unconditional one.
    """

    def __init__(self, num_classes: int, features: int, maps: bool):
        super().__init__()
        self.norm = (nn.BatchNorm2d if maps else nn.BatchNorm1d)(features, affine=False)
        self.gain = nn.Embedding(num_classes, features)
        self.bias = nn.Embedding(num_classes, features)
        nn.init.ones_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        gain, bias = self.gain(labels), self.bias(labels)
        if x.dim() == 4:
            gain, bias = gain[:, :, None, None], bias[:, :, None, None]
        return self.norm(x) * gain + bias


def generator_norm(features: int, maps: bool, num_classes: int, method: str | None) -> nn.Module:
    """A generator's batch norm: per-class gains and biases under ``cbn``, else plain batch norm."""
    if method == "cbn":
        return ClassBatchNorm(num_classes, features, maps)
    return (nn.BatchNorm2d if maps else nn.BatchNorm1d)(features)


def through(layers: nn.Sequential, x: torch.Tensor, labels) -> torch.Tensor:
    """``layers`` applied in turn, the labels handed to each class-conditional batch norm."""
    for layer in layers:
        x = layer(x, labels) if isinstance(layer, ClassBatchNorm) else layer(x)
    return x


class LabelHead(nn.Module):
    """What a discriminator's last features ``h`` give beyond its plain logit, under its method.

    ``projection``: a per-class embedding (a bias-free dense layer on the one-hot label, so that
    spectral norm treats it as any other layer) whose inner product with ``h`` (summed over
    positions when ``h`` is a map) is added to the logit.  ``ac``: a dense layer from ``h`` to one
    logit per class.  Any other method holds no weights and adds nothing.
    """

    def __init__(self, method: str | None, num_classes: int, channels: int, flat_features: int):
        super().__init__()
        self.num_classes = num_classes
        self.embed = nn.Linear(num_classes, channels, bias=False) if method == "projection" else None
        self.classify = nn.Linear(flat_features, num_classes) if method == "ac" else None

    def projection(self, h: torch.Tensor, labels) -> torch.Tensor | float:
        """The projection term of each sample's logit (0 without a projection head)."""
        if self.embed is None:
            return 0.0
        pooled = h.sum((2, 3)) if h.dim() == 4 else h
        return (self.embed(F.one_hot(labels, self.num_classes).to(pooled.dtype)) * pooled).sum(1)

    def classes(self, h: torch.Tensor) -> torch.Tensor | None:
        """One logit per class for each sample (None without a classifier head)."""
        return self.classify(h.flatten(1)) if self.classify is not None else None

