"""Discriminator norms: spectral norm really bounds every layer, batch and none are what they say."""
import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from raygan.config import GANConfig
from raygan.models import build_models
from tests.conftest import small_nets

LAYERS = (nn.Conv2d, nn.Linear)


def _build(**values):
    return build_models(GANConfig.from_dict({**small_nets(values["model"]), **values}))


def _has_batchnorm(module):
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


@pytest.mark.parametrize("values", [{"model": "dcgan", "clusters": 0}, {"model": "cdcgan", "cond": "hidden"},
                                    {"model": "gan", "clusters": 0}, {"model": "cgan", "cond": "hidden"}],
                         ids=lambda v: "-".join(map(str, v.values())))
def test_spectral_norm_bounds_every_layer_of_d_only(values):
    torch.manual_seed(0)  # 30 power iterations reach 2% for most random weights, not all: these ones
    generator, discriminator = _build(**values, d_norm="spectral")
    layers = [m for m in discriminator.modules() if isinstance(m, LAYERS)]
    assert layers and all(parametrize.is_parametrized(m, "weight") for m in layers)
    assert not _has_batchnorm(discriminator)
    assert not any(parametrize.is_parametrized(m) for m in generator.modules())
    labels = torch.arange(16) % 10 if "cond" in values else None
    with torch.no_grad():
        for _ in range(30):  # each training-mode forward pass is one power iteration per layer
            discriminator(torch.rand(16, 1, 28, 28) * 2 - 1, labels)
    for layer in layers:
        sigma = torch.linalg.matrix_norm(layer.weight.flatten(1), ord=2)
        assert sigma.item() == pytest.approx(1.0, abs=0.02)


def test_batch_is_the_dcgans_own_norm_and_none_has_no_norm():
    _, default = _build(model="dcgan", d_norm="auto")  # its recipe's is spectral (raygan.recipes)
    assert any(isinstance(m, nn.BatchNorm2d) for m in default.modules())
    for values in ({"model": "dcgan", "d_norm": "none"}, {"model": "gan"}):
        _, discriminator = _build(**values)
        assert not _has_batchnorm(discriminator)
        assert not any(parametrize.is_parametrized(m) for m in discriminator.modules())
