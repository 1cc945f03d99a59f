"""The model registry: one entry per model name, the only list of models raygan has.

Each :class:`Family` says whether the model is conditional, which discriminator norms it
supports and how to build its generator and discriminator from a validated config and the
dataset's :class:`~raygan.data.DatasetInfo` (image shape and classes come from the data,
never from constants).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from torch import nn

from raygan.errors import RayganError
from raygan.models import dcgan, mlp
from raygan.models.base import Generator, spectral_norm_all

if TYPE_CHECKING:
    from raygan.config import GANConfig
    from raygan.data import DatasetInfo


@dataclass(frozen=True)
class Family:
    generator: Callable[["GANConfig", "DatasetInfo", str | None], Generator]
    discriminator: Callable[["GANConfig", "DatasetInfo", str | None], nn.Module]
    conditional: bool
    d_norms: tuple[str, ...]  # the discriminator norms it supports; the first is its own (d_norm "auto")


FAMILIES: dict[str, Family] = {
    "gan": Family(mlp.build_generator, mlp.build_discriminator, conditional=False, d_norms=mlp.D_NORMS),
    "dcgan": Family(dcgan.build_generator, dcgan.build_discriminator, conditional=False, d_norms=dcgan.D_NORMS),
    "cgan": Family(mlp.build_generator, mlp.build_discriminator, conditional=True, d_norms=mlp.D_NORMS),
    "cdcgan": Family(dcgan.build_generator, dcgan.build_discriminator, conditional=True, d_norms=dcgan.D_NORMS),
}
MODELS = tuple(FAMILIES)


def _cond(config: "GANConfig", info: "DatasetInfo") -> str | None:
    if not FAMILIES[config.model].conditional:
        return None
    if not info.labelled:
        raise RayganError(f"{config.model} is conditional and needs labelled images, but dataset '{info.name}' "
                          "has no classes; put the images in class subfolders (FOLDER/<class>/*.png) or use "
                          f"{config.model.removeprefix('c')}")
    return config.cond


def build_generator(config: "GANConfig", info: "DatasetInfo | None" = None) -> Generator:
    """A fresh generator; ``info`` defaults to the config's dataset."""
    info = info or _info(config)
    return FAMILIES[config.model].generator(config, info, _cond(config, info))


def build_discriminator(config: "GANConfig", info: "DatasetInfo | None" = None) -> nn.Module:
    """A fresh discriminator, with spectral norm on every layer when ``d_norm`` is spectral."""
    info = info or _info(config)
    discriminator = FAMILIES[config.model].discriminator(config, info, _cond(config, info))
    return spectral_norm_all(discriminator) if config.discriminator_norm == "spectral" else discriminator


def build_models(config: "GANConfig", info: "DatasetInfo | None" = None) -> tuple[Generator, nn.Module]:
    """Build a fresh generator and discriminator for a validated config."""
    return build_generator(config, info), build_discriminator(config, info)


def _info(config: "GANConfig") -> "DatasetInfo":
    from raygan.data import dataset_info

    return dataset_info(config.dataset)


__all__ = ["FAMILIES", "MODELS", "Family", "Generator", "build_generator", "build_discriminator", "build_models"]
