"""Every model at 28, 32 and 64 pixels with 1 or 3 channels, built from a dataset's info as the data gives it."""
import pytest
import torch
from torch import nn

from raygan.config import GANConfig
from raygan.data import DatasetInfo
from raygan.errors import RayganError
from raygan.models import build_models
from raygan.models.dcgan import DCGANDiscriminator, DCGANGenerator

CLASSES = tuple(f"class{i}" for i in range(4))


@pytest.mark.parametrize("size", [28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("values", [{"model": "gan"}, {"model": "dcgan"}, {"model": "cgan"},
                                    {"model": "cdcgan", "cond": "input"}, {"model": "cdcgan", "cond": "hidden"},
                                    {"model": "dcgan", "d_norm": "spectral"}, {"model": "dcgan", "d_norm": "none"}],
                         ids=lambda v: "-".join(map(str, v.values())))
def test_every_model_builds_for_every_size_and_channel_count(values, size, channels):
    info = DatasetInfo("test", (channels, size, size), CLASSES, fingerprint="f" * 16)
    config = GANConfig.from_dict({**values, "dataset": "folder", "latent_dim": 8, "g_width": 8, "d_width": 8,
                                  "g_hidden": [16], "d_hidden": [16]})
    generator, discriminator = build_models(config, info)
    labels = torch.arange(6) % len(CLASSES) if config.conditional else None
    images = generator(torch.randn(6, 8), labels)
    assert images.shape == (6, channels, size, size) and images.abs().max() <= 1
    assert discriminator(images, labels).shape == (6,)
    assert generator.sample(3, labels=0 if config.conditional else None).shape == (3, channels, size, size)


@pytest.mark.parametrize("size, start, transposed", [(28, 7, 2), (32, 4, 3), (64, 4, 4)])
def test_dcgan_starts_small_and_doubles_to_the_image_size(size, start, transposed):
    """Radford et al.: a dense start map, transposed convolutions doubling it, widths halving on the way up;
    D mirrors it with strided convolutions back to the start map and one logit."""
    generator, discriminator = DCGANGenerator(16, width=8, size=size), DCGANDiscriminator(width=8, size=size)
    ups = [m for m in generator.upsample if isinstance(m, nn.ConvTranspose2d)]
    assert generator.start == start and len(ups) == transposed
    assert [m.out_channels for m in ups] == [8 * 2 ** i for i in reversed(range(transposed - 1))] + [1]
    downs = [m for m in discriminator.modules() if isinstance(m, nn.Conv2d)]
    assert len(downs) == transposed and all(m.stride == (2, 2) for m in downs)
    assert discriminator.out.in_features == downs[-1].out_channels * start * start


def test_unsupported_sizes_and_unlabelled_conditional_models_are_one_line_errors():
    config = GANConfig.from_dict({"model": "dcgan", "dataset": "folder"})
    with pytest.raises(RayganError, match="square images of 28, 32, 64 pixels"):
        build_models(config, DatasetInfo("odd", (1, 48, 48), CLASSES, fingerprint="f" * 16))
    flat = DatasetInfo("flat", (3, 32, 32), (), fingerprint="f" * 16)
    for model in ("cgan", "cdcgan"):
        with pytest.raises(RayganError, match=f"{model} is conditional and needs labelled images.*class subfolders"):
            build_models(GANConfig.from_dict({"model": model, "dataset": "folder"}), flat)
