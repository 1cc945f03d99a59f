"""Every model and conditioning variant builds, from a dataset's info as the data gives it, at every size
(28, 32 and 64 pixels, 1 or 3 channels) and latent size, with the right shapes."""
import pytest
import torch
from torch import nn

from raygan.config import GANConfig
from raygan.data import DatasetInfo
from raygan.errors import RayganError
from raygan.models import build_models
from raygan.models.dcgan import DCGANDiscriminator, DCGANGenerator
from tests.conftest import small_nets

CLASSES = tuple(f"class{i}" for i in range(4))
VARIANTS = [
    {"model": "gan", "clusters": 0},
    {"model": "dcgan", "clusters": 0},
    {"model": "dcgan", "d_norm": "spectral", "clusters": 0},
    {"model": "dcgan", "d_norm": "none", "clusters": 0},
    {"model": "gan", "clusters": 5},  # self-conditioned: D is told the cluster G drew
    {"model": "dcgan", "clusters": 5},
    {"model": "cgan", "cond": "input"},
    {"model": "cgan", "cond": "hidden"},
    {"model": "cgan", "cond": "input", "label_embedding": 16},
    {"model": "cgan", "cond": "hidden", "label_embedding": 16},
    {"model": "cdcgan", "cond": "input"},
    {"model": "cdcgan", "cond": "hidden"},
    {"model": "cdcgan", "cond": "hidden", "label_embedding": 8},
    {"model": "cgan", "g_cond": "cbn", "d_cond": "projection"},
    {"model": "cgan", "cond": "hidden", "d_cond": "ac"},
    {"model": "cdcgan", "g_cond": "cbn", "d_cond": "projection"},
    {"model": "cdcgan", "g_cond": "cbn", "d_cond": "projection", "d_norm": "spectral"},
    {"model": "cdcgan", "d_cond": "ac"},
]
# (image size, channels, latent_dim): every size, both channel counts and the latent range's ends
SHAPES = [(28, 1, 2), (28, 1, 100), (28, 3, 8), (32, 1, 8), (32, 3, 512), (64, 1, 8), (64, 3, 8)]


@pytest.mark.parametrize("values", VARIANTS, ids=lambda v: "-".join(map(str, v.values())))
@pytest.mark.parametrize("size, channels, latent_dim", SHAPES)
def test_every_model_builds_for_every_size_channel_count_and_latent_size(values, size, channels, latent_dim):
    info = DatasetInfo("test", (channels, size, size), CLASSES, fingerprint="f" * 16)
    config = GANConfig.from_dict({**values, **small_nets(values["model"], hidden=(16, 32)), "dataset": "folder",
                                  "latent_dim": latent_dim})
    generator, discriminator = build_models(config, info)
    labels = torch.arange(6) % len(CLASSES) if config.conditional else None
    z = torch.randn(6, latent_dim)
    images = generator(z, labels)
    assert images.shape == (6, channels, size, size) and images.abs().max() <= 1
    logits, classes = discriminator.judge(images, generator.cluster_of(z) if config.clusters else labels)
    assert logits.shape == (6,) and (classes is None) == (values.get("d_cond") != "ac")
    assert classes is None or classes.shape == (6, len(CLASSES))
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


def test_default_mlp_widths_follow_the_common_design():
    generator, discriminator = build_models(GANConfig(model="gan"))
    widths = [m.out_features for m in generator.modules() if isinstance(m, nn.Linear)]
    assert widths == [256, 512, 1024, 784]
    widths = [m.out_features for m in discriminator.modules() if isinstance(m, nn.Linear)]
    assert widths == [1024, 512, 256, 1]


def test_dcgan_follows_the_guidelines():
    generator, discriminator = build_models(GANConfig(model="dcgan"))
    g_types = {type(m) for m in generator.modules()}
    d_types = {type(m) for m in discriminator.modules()}
    assert nn.ConvTranspose2d in g_types and nn.BatchNorm2d in g_types and nn.ReLU in g_types
    assert not any(issubclass(t, (nn.MaxPool2d, nn.AvgPool2d)) for t in d_types)
    strided = [m for m in discriminator.modules() if isinstance(m, nn.Conv2d) and m.stride == (2, 2)]
    assert len(strided) >= 2 and nn.LeakyReLU in d_types


def test_unsupported_sizes_and_unlabelled_conditional_models_are_one_line_errors():
    config = GANConfig.from_dict({"model": "dcgan", "dataset": "folder"})
    with pytest.raises(RayganError, match="square images of 28, 32, 64 pixels"):
        build_models(config, DatasetInfo("odd", (1, 48, 48), CLASSES, fingerprint="f" * 16))
    flat = DatasetInfo("flat", (3, 32, 32), (), fingerprint="f" * 16)
    for model in ("cgan", "cdcgan"):
        with pytest.raises(RayganError, match=f"{model} is conditional and needs labelled images.*class subfolders"):
            build_models(GANConfig.from_dict({"model": model, "dataset": "folder"}), flat)
