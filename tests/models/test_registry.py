"""Every model and conditioning variant builds from a config and has the right shapes."""
import pytest
import torch

from raygan.config import GANConfig
from raygan.errors import RayganError
from raygan.models import build_models

VARIANTS = [
    {"model": "gan"},
    {"model": "dcgan"},
    {"model": "cgan", "cond": "input"},
    {"model": "cgan", "cond": "hidden"},
    {"model": "cgan", "cond": "input", "label_embedding": 16},
    {"model": "cgan", "cond": "hidden", "label_embedding": 16},
    {"model": "cdcgan", "cond": "input"},
    {"model": "cdcgan", "cond": "hidden"},
    {"model": "cdcgan", "cond": "hidden", "label_embedding": 8},
]


@pytest.mark.parametrize("values", VARIANTS, ids=lambda v: "-".join(str(x) for x in v.values()))
@pytest.mark.parametrize("latent_dim", [2, 100, 512])
def test_shapes(values, latent_dim):
    config = GANConfig.from_dict({**values, "latent_dim": latent_dim, "g_width": 16, "d_width": 16,
                                  "g_hidden": [32, 64], "d_hidden": [64, 32]})
    generator, discriminator = build_models(config)
    labels = torch.arange(5) % 10 if config.conditional else None
    images = generator(torch.randn(5, latent_dim), labels)
    assert images.shape == (5, 1, 28, 28)
    assert images.min() >= -1 and images.max() <= 1
    assert discriminator(images, labels).shape == (5,)
    assert generator.sample(3, labels=labels[:3] if labels is not None else None).shape == (3, 1, 28, 28)


def test_default_mlp_widths_follow_the_common_design():
    generator, discriminator = build_models(GANConfig(model="gan"))
    widths = [m.out_features for m in generator.modules() if isinstance(m, torch.nn.Linear)]
    assert widths == [256, 512, 1024, 784]
    widths = [m.out_features for m in discriminator.modules() if isinstance(m, torch.nn.Linear)]
    assert widths == [1024, 512, 256, 1]


def test_dcgan_follows_the_guidelines():
    generator, discriminator = build_models(GANConfig(model="dcgan"))
    g_types = {type(m) for m in generator.modules()}
    d_types = {type(m) for m in discriminator.modules()}
    assert torch.nn.ConvTranspose2d in g_types and torch.nn.BatchNorm2d in g_types and torch.nn.ReLU in g_types
    assert not any(issubclass(t, (torch.nn.MaxPool2d, torch.nn.AvgPool2d)) for t in d_types)
    strided = [m for m in discriminator.modules() if isinstance(m, torch.nn.Conv2d) and m.stride == (2, 2)]
    assert len(strided) >= 2 and torch.nn.LeakyReLU in d_types


def test_conditioning_changes_the_output():
    generator, _ = build_models(GANConfig(model="cgan", cond="hidden"))
    z = torch.randn(1, 100).expand(2, 100)
    out = generator(z, torch.tensor([3, 7]))
    assert not torch.allclose(out[0], out[1])


def test_sample_label_checks():
    conditional, _ = build_models(GANConfig(model="cgan"))
    plain, _ = build_models(GANConfig(model="gan"))
    with pytest.raises(RayganError, match="conditional; pass labels"):
        conditional.sample(4)
    with pytest.raises(RayganError, match=r"0\.\.9"):
        conditional.sample(4, labels=10)
    with pytest.raises(RayganError, match="unconditional"):
        plain.sample(4, labels=3)
    assert conditional.sample(4, labels=3).shape == (4, 1, 28, 28)
