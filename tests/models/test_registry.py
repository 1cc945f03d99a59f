"""Models built from a config: the label joins where it should, samples check their labels."""
import pytest
import torch

from raygan.config import GANConfig
from raygan.errors import RayganError
from raygan.models import build_models


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
