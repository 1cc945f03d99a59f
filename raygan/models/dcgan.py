"""DCGAN (``dcgan``) and conditional DCGAN (``cdcgan``) for 28x28 images, grey or colour.

Following Radford et al. (2016): the generator projects z to a 7x7 map and upsamples with
strided transposed convolutions, batch norm and ReLU, ending in tanh; the discriminator
downsamples with strided convolutions and LeakyReLU (batch norm after the second by
default; ``d_norm`` may instead put spectral norm on every layer, or no norm), no
pooling, and ends in one logit.  Conditioning (``cond``) joins the label as constant
feature maps: ``input`` at 28x28 in D and with z in G; ``hidden`` at the 7x7 map in G and
after D's first convolution (14x14).
"""
from __future__ import annotations

import torch
from torch import nn

from raygan.errors import RayganError
from raygan.models.base import Generator, LabelCode, leaky

SIZE = 28  # 7 -> 14 -> 28
D_NORMS = ("batch", "spectral", "none")  # the discriminator's own (Radford et al.) first


def _channels(info) -> int:
    channels, height, width = info.image_shape
    if (height, width) != (SIZE, SIZE):
        raise RayganError(f"dcgan and cdcgan build for {SIZE}x{SIZE} images; dataset '{info.name}' has "
                          f"{height}x{width}: use the MLP models (gan, cgan) for it")
    return channels


def build_generator(config, info, cond: str | None) -> "DCGANGenerator":
    return DCGANGenerator(config.latent_dim, config.g_width, info.num_classes, cond, config.label_embedding,
                          channels=_channels(info))


def build_discriminator(config, info, cond: str | None) -> "DCGANDiscriminator":
    return DCGANDiscriminator(config.d_width, info.num_classes, cond, config.label_embedding,
                              channels=_channels(info), batch_norm=config.discriminator_norm == "batch")


def _label_maps(code: torch.Tensor, size: int) -> torch.Tensor:
    return code[:, :, None, None].expand(-1, -1, size, size)


class DCGANGenerator(Generator):
    def __init__(self, latent_dim: int, width: int = 64, num_classes: int = 10,
                 cond: str | None = None, label_embedding: int = 0, channels: int = 1):
        super().__init__(latent_dim, (channels, SIZE, SIZE), num_classes, conditional=cond is not None)
        self.cond = cond
        self.code = LabelCode(num_classes, label_embedding) if cond else None
        z_in = latent_dim + (self.code.dim if cond == "input" else 0)
        self.project = nn.Sequential(
            nn.Linear(z_in, 2 * width * 7 * 7, bias=False), nn.BatchNorm1d(2 * width * 7 * 7), nn.ReLU(True))
        maps_in = 2 * width + (self.code.dim if cond == "hidden" else 0)
        self.upsample = nn.Sequential(
            nn.ConvTranspose2d(maps_in, width, 4, 2, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(True),
            nn.ConvTranspose2d(width, channels, 4, 2, 1), nn.Tanh())
        self.width = width

    def forward(self, z, labels=None):
        if self.cond == "input":
            z = torch.cat([z, self.code(labels)], 1)
        h = self.project(z).view(-1, 2 * self.width, 7, 7)
        if self.cond == "hidden":
            h = torch.cat([h, _label_maps(self.code(labels), 7)], 1)
        return self.upsample(h)


class DCGANDiscriminator(nn.Module):
    def __init__(self, width: int = 64, num_classes: int = 10,
                 cond: str | None = None, label_embedding: int = 0, channels: int = 1, batch_norm: bool = True):
        super().__init__()
        self.cond = cond
        self.code = LabelCode(num_classes, label_embedding) if cond else None
        extra = self.code.dim if cond else 0
        self.first = nn.Sequential(nn.Conv2d(channels + (extra if cond == "input" else 0), width, 4, 2, 1), leaky())
        # batch norm's shift makes a bias redundant; without batch norm the convolution keeps its own
        self.second = nn.Sequential(
            nn.Conv2d(width + (extra if cond == "hidden" else 0), 2 * width, 4, 2, 1, bias=not batch_norm),
            *([nn.BatchNorm2d(2 * width)] if batch_norm else []), leaky())
        self.out = nn.Linear(2 * width * 7 * 7, 1)

    def forward(self, images, labels=None):
        if self.cond == "input":
            images = torch.cat([images, _label_maps(self.code(labels), SIZE)], 1)
        h = self.first(images)
        if self.cond == "hidden":
            h = torch.cat([h, _label_maps(self.code(labels), 14)], 1)
        return self.out(self.second(h).flatten(1)).squeeze(1)
