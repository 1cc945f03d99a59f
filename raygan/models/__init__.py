"""The model registry: the four models raygan has, and everything that depends on the model's name.

Each model is an architecture with or without conditioning; the names users know stay the
only names (a model is still chosen with one word, and exports and search spaces keep them):

======  ============  ===========
model   architecture  conditional
======  ============  ===========
gan     MLP           no
dcgan   DCGAN         no
cgan    MLP           yes
cdcgan  DCGAN         yes
======  ============  ===========

How a conditional model takes its label is the config's ``g_cond`` and ``d_cond`` (or the
shared ``cond``), handled in :mod:`raygan.models.conditioning` for both architectures.  The registry decides from a name
alone whether the model is conditional, which discriminator norms it has (the first its own,
what ``d_norm: auto`` means) and which config keys have an effect on it.  It never imports
:mod:`raygan.config`: its functions take a model name and plain values, and its builders any
object with a config's fields, so that the config asks it without an import cycle.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from torch import nn

from raygan.data import DatasetInfo, dataset_info
from raygan.errors import RayganError
from raygan.models import conditioning, dcgan, mlp, self_conditioning
from raygan.models.base import Generator, spectral_norm_all


@dataclass(frozen=True)
class Architecture:
    """One kind of net: how to build its generator and discriminator, and what it reads from a config."""

    description: str  # what a model of it is, as in "it is an MLP"
    generator: Callable[..., Generator]  # (config, info, G's conditioning method or None) -> generator
    discriminator: Callable[..., nn.Module]  # (config, info, D's method or None, resolved d_norm) -> discriminator
    d_norms: tuple[str, ...]  # the discriminator norms it supports; the first is its own (d_norm "auto")
    keys: tuple[str, ...]  # the config keys only this architecture reads


MLP = Architecture("an MLP", mlp.build_generator, mlp.build_discriminator, mlp.D_NORMS, mlp.KEYS)
DCGAN = Architecture("a DCGAN", dcgan.build_generator, dcgan.build_discriminator, dcgan.D_NORMS, dcgan.KEYS)


@dataclass(frozen=True)
class Family:
    """A model: an architecture, with or without conditioning."""

    architecture: Architecture
    conditional: bool

    @property
    def keys(self) -> tuple[str, ...]:
        """The config keys that only some models read, and this one does."""
        return self.architecture.keys + (conditioning.KEYS if self.conditional else self_conditioning.KEYS)


FAMILIES: dict[str, Family] = {
    "gan": Family(MLP, conditional=False),
    "dcgan": Family(DCGAN, conditional=False),
    "cgan": Family(MLP, conditional=True),
    "cdcgan": Family(DCGAN, conditional=True),
}
MODELS = tuple(FAMILIES)


def is_conditional(model: str) -> bool:
    return FAMILIES[model].conditional


def discriminator_norms(model: str) -> tuple[str, ...]:
    """The discriminator norms ``model`` supports, its own first."""
    return FAMILIES[model].architecture.d_norms


def resolve_d_norm(model: str, d_norm: str) -> str:
    """``d_norm`` with ``auto`` resolved to the model's own norm."""
    return discriminator_norms(model)[0] if d_norm == "auto" else d_norm


def keys_without_effect(model: str) -> dict[str, str]:
    """The config keys that change nothing on ``model`` (only other models read them), each with the
    one-line message for setting one: why it does nothing, and the nearest model that reads it."""
    own = FAMILIES[model]

    def distance(other: Family) -> int:
        return (other.architecture != own.architecture) + (other.conditional != own.conditional)

    messages = {}
    for name, family in sorted(FAMILIES.items(), key=lambda item: distance(item[1])):
        for key in family.keys:
            if key not in own.keys and key not in messages:
                why = ("it is unconditional" if key in conditioning.KEYS
                       else "it is conditional: its labels are the data's classes" if key in self_conditioning.KEYS
                       else f"it is {own.architecture.description}")
                messages[key] = f"{key} has no effect on model {model} ({why}); drop it or use {name}"
    return messages


def _method(config, info: DatasetInfo, net: str) -> str | None:
    """``net``'s ("g" or "d") conditioning method under ``config``; None for an unconditional model."""
    if not is_conditional(config.model):
        return None
    if not info.labelled:
        raise RayganError(f"{config.model} is conditional and needs labelled images, but dataset '{info.name}' "
                          "has no classes; put the images in class subfolders (FOLDER/<class>/*.png) or use "
                          f"{config.model.removeprefix('c')}")
    return conditioning.resolve(config.cond, getattr(config, f"{net}_cond"))


def _self_conditioned(config) -> bool:
    """Whether ``config`` is an unconditional model trained on clusters of its images (:mod:`.self_conditioning`)."""
    return bool(getattr(config, "clusters", 0)) and not is_conditional(config.model)


def _plan(config, info: DatasetInfo, net: str) -> tuple[DatasetInfo, str | None]:
    """The dataset info ``net`` ("g" or "d") is built for and its conditioning method: the data's classes for a
    conditional model, ``clusters`` pseudo-classes for a self-conditioned one."""
    if _self_conditioned(config):
        method = self_conditioning.G_METHOD if net == "g" else self_conditioning.D_METHOD
        return self_conditioning.cluster_info(info, config.clusters), method
    return info, _method(config, info, net)


def build_generator(config, info: DatasetInfo | None = None) -> Generator:
    """A fresh generator for a validated config (a GANConfig, or any object with its fields);
    ``info`` defaults to the config's dataset.  A self-conditioned one (``clusters``) is unconditional
    outside: :class:`~raygan.models.self_conditioning.SelfConditioned` over its conditional net."""
    info = info or dataset_info(config.dataset)
    net_info, method = _plan(config, info, "g")
    generator = FAMILIES[config.model].architecture.generator(config, net_info, method)
    return self_conditioning.SelfConditioned(generator, info.num_classes) if _self_conditioned(config) else generator


def build_discriminator(config, info: DatasetInfo | None = None) -> nn.Module:
    """A fresh discriminator, with spectral norm on every layer when ``d_norm`` is spectral."""
    net_info, method = _plan(config, info or dataset_info(config.dataset), "d")
    norm = resolve_d_norm(config.model, config.d_norm)
    discriminator = FAMILIES[config.model].architecture.discriminator(config, net_info, method, norm)
    return spectral_norm_all(discriminator) if norm == "spectral" else discriminator


def build_models(config, info: DatasetInfo | None = None) -> tuple[Generator, nn.Module]:
    """Build a fresh generator and discriminator for a validated config."""
    return build_generator(config, info), build_discriminator(config, info)


__all__ = ["FAMILIES", "MODELS", "Architecture", "Family", "Generator", "build_generator",
           "build_discriminator", "build_models", "discriminator_norms", "is_conditional", "keys_without_effect",
           "resolve_d_norm"]
