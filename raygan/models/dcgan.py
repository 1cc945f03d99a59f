"""DCGAN (``dcgan``) and conditional DCGAN (``cdcgan``) for 28, 32 and 64 pixel images, grey or colour.

Following Radford et al. (2016): the generator projects z with a dense layer to a small map
(7x7 for 28 pixels, 4x4 for 32 and 64) and doubles it with strided transposed convolutions,
batch norm and ReLU up to the image size, ending in tanh; the discriminator halves it with
strided convolutions and LeakyReLU (batch norm after all but the first by default; ``d_norm``
may instead put spectral norm on every layer, or no norm), no pooling, down to the start map
and one logit from a dense layer.  Widths double at every halving: ``g_width`` and
``d_width`` are the channels at half the image size.  Conditioning (``g_cond``, ``d_cond``;
see :mod:`raygan.models.conditioning`) joins the label code as constant feature maps: ``input``
at full size in D (and as a vector with z in G); ``hidden`` at the start map in G and after
D's first convolution.  ``cbn`` makes every batch norm of G class-conditional; ``projection``
and ``ac`` put a head on D's last map.  At 28 pixels the layers (and their names) are those
of raygan's first DCGAN, so its checkpoints and exports still load.
"""
from __future__ import annotations

from torch import nn

from raygan.errors import RayganError
from raygan.models.base import Discriminator, Generator, leaky
from raygan.models.conditioning import LabelCode, LabelHead, generator_norm, join_point, through

START_SIZES = {28: 7, 32: 4, 64: 4}  # image size -> the generator's first map (and D's last)
D_NORMS = ("batch", "spectral", "none")  # the discriminator's own (Radford et al.) first
KEYS = ("g_width", "d_width")  # the config keys only the DCGAN nets read


def image_plan(info) -> tuple[int, int]:
    """(channels, image size) of ``info``'s images; a one-line error for a size the DCGAN does not build."""
    channels, height, width = info.image_shape
    if height != width or height not in START_SIZES:
        raise RayganError(f"dcgan and cdcgan build for square images of {', '.join(map(str, START_SIZES))} pixels; "
                          f"dataset '{info.name}' has {height}x{width}: set image_size, or use gan or cgan")
    return channels, height


def build_generator(config, info, method: str | None) -> "DCGANGenerator":
    """``method``: the generator's conditioning (None when unconditional)."""
    channels, size = image_plan(info)
    return DCGANGenerator(config.latent_dim, config.g_width, info.num_classes, method, config.label_embedding,
                          channels=channels, size=size)


def build_discriminator(config, info, method: str | None, norm: str) -> "DCGANDiscriminator":
    """``norm`` is the resolved d_norm: batch norm is built in here; spectral norm the registry puts on the net."""
    channels, size = image_plan(info)
    return DCGANDiscriminator(config.d_width, info.num_classes, method, config.label_embedding,
                              channels=channels, batch_norm=norm == "batch", size=size)


def _widths(width: int, size: int) -> list[int]:
    """Channels from the start map up to half the image size: ..., 4w, 2w, w."""
    doublings = (size // START_SIZES[size]).bit_length() - 1
    return [width * 2 ** i for i in reversed(range(doublings))]


class DCGANGenerator(Generator):
    def __init__(self, latent_dim: int, width: int = 64, num_classes: int = 10,
                 method: str | None = None, label_embedding: int = 0, channels: int = 1, size: int = 28):
        super().__init__(latent_dim, (channels, size, size), num_classes, conditional=method is not None)
        # the label's code, joined where the method puts it (its stored weights keep the name code.table.weight)
        self.code = LabelCode(num_classes, label_embedding, join_point(method))
        self.start = START_SIZES[size]
        widths = _widths(width, size)
        self.start_width = widths[0]
        z_in = latent_dim + self.code.width_at("input")
        units = widths[0] * self.start ** 2
        self.project = nn.Sequential(nn.Linear(z_in, units, bias=False),
                                     generator_norm(units, False, num_classes, method), nn.ReLU(True))
        maps_in = widths[0] + self.code.width_at("hidden")
        layers = []
        for c_in, c_out in zip([maps_in, *widths[1:-1]], widths[1:]):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False),
                       generator_norm(c_out, True, num_classes, method), nn.ReLU(True)]
        self.upsample = nn.Sequential(*layers, nn.ConvTranspose2d(widths[-1], channels, 4, 2, 1), nn.Tanh())

    def forward(self, z, labels=None):
        h = through(self.project, self.code.at("input", z, labels), labels)
        h = h.view(-1, self.start_width, self.start, self.start)
        return through(self.upsample, self.code.at("hidden", h, labels), labels)


class DCGANDiscriminator(Discriminator):
    def __init__(self, width: int = 64, num_classes: int = 10, method: str | None = None, label_embedding: int = 0,
                 channels: int = 1, batch_norm: bool = True, size: int = 28):
        super().__init__()
        self.code = LabelCode(num_classes, label_embedding, join_point(method))
        widths = _widths(width, size)[::-1]  # w at half the image size, doubling down to the start map
        self.first = nn.Sequential(nn.Conv2d(channels + self.code.width_at("input"), widths[0], 4, 2, 1), leaky())
        layers = []
        for i, (c_in, c_out) in enumerate(zip(widths, widths[1:])):
            c_in += self.code.width_at("hidden") if i == 0 else 0
            # batch norm's shift makes a bias redundant; without batch norm the convolution keeps its own
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=not batch_norm),
                       *([nn.BatchNorm2d(c_out)] if batch_norm else []), leaky()]
        self.second = nn.Sequential(*layers)
        flat = widths[-1] * START_SIZES[size] ** 2
        self.out = nn.Linear(flat, 1)
        self.head = LabelHead(method, num_classes, widths[-1], flat)

    def features(self, images, labels):
        h = self.code.at("hidden", self.first(self.code.at("input", images, labels)), labels)
        return self.second(h)
