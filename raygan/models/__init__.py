"""Model registry: ``build_models(config) -> (generator, discriminator)`` by model name."""
from __future__ import annotations

from torch import nn

from raygan.config import GANConfig
from raygan.data import NUM_CLASSES
from raygan.models.base import Generator
from raygan.models.dcgan import DCGANDiscriminator, DCGANGenerator
from raygan.models.mlp import MLPDiscriminator, MLPGenerator


def build_generator(config: GANConfig) -> Generator:
    cond = config.cond if config.conditional else None
    if config.model in ("gan", "cgan"):
        return MLPGenerator(config.latent_dim, config.g_hidden, NUM_CLASSES, cond, config.label_embedding,
                            batch_norm=config.g_norm == "batch")
    return DCGANGenerator(config.latent_dim, config.g_width, NUM_CLASSES, cond, config.label_embedding)


def build_discriminator(config: GANConfig) -> nn.Module:
    cond = config.cond if config.conditional else None
    if config.model in ("gan", "cgan"):
        return MLPDiscriminator(config.d_hidden, NUM_CLASSES, cond, config.label_embedding,
                                dropout=config.d_dropout)
    return DCGANDiscriminator(config.d_width, NUM_CLASSES, cond, config.label_embedding)


def build_models(config: GANConfig) -> tuple[Generator, nn.Module]:
    """Build a fresh generator and discriminator for a validated config."""
    return build_generator(config), build_discriminator(config)


__all__ = ["Generator", "build_generator", "build_discriminator", "build_models"]
