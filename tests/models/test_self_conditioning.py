"""Self-conditioned generators: unconditional outside, a cluster chosen from z inside, drawn as often as the data."""
import re

import pytest
import torch

from raygan.config import GANConfig
from raygan.errors import RayganError
from raygan.generator_file import load_generator, save_generator
from raygan.models import build_discriminator, build_generator
from raygan.models.self_conditioning import SelfConditioned
from tests.conftest import small_nets


def _config(model: str, clusters: int = 3, **values) -> GANConfig:
    return GANConfig.from_dict({"model": model, "latent_dim": 8, "clusters": clusters, **small_nets(model), **values})


@pytest.mark.parametrize("model", ["gan", "dcgan"])
def test_each_cluster_is_drawn_as_often_as_its_share_and_the_same_z_draws_the_same_image(model):
    generator = build_generator(_config(model))
    assert isinstance(generator, SelfConditioned) and not generator.conditional and generator.net.conditional
    generator.set_shares(torch.tensor([0.7, 0.2, 0.1]))
    z = torch.randn(20000, 8, generator=torch.Generator().manual_seed(0))
    drawn = torch.bincount(generator.cluster_of(z), minlength=3).float() / len(z)
    assert drawn.tolist() == pytest.approx([0.7, 0.2, 0.1], abs=0.01)
    generator.eval()
    with torch.no_grad():
        assert torch.equal(generator(z[:16]), generator.net(z[:16], generator.cluster_of(z[:16])))
        assert torch.equal(generator(z[:4]), generator(z[:4]))
    with pytest.raises(RayganError, match="unconditional; do not pass labels"):
        generator.sample(4, labels=[1, 2, 0, 1])
    assert generator.sample(4).shape == (4, 1, 28, 28)


def test_a_cluster_with_no_images_is_never_drawn():
    generator = build_generator(_config("gan", 4))
    generator.set_shares(torch.tensor([0.5, 0.0, 0.5, 0.0]))
    z = torch.randn(5000, 8, generator=torch.Generator().manual_seed(1))
    assert set(generator.cluster_of(z).tolist()) == {0, 2}
    with pytest.raises(ValueError, match="expected 4 shares"):
        generator.set_shares(torch.tensor([0.5, 0.5]))


@pytest.mark.parametrize("model", ["gan", "dcgan"])
def test_the_nets_take_the_cluster_by_class_batch_norm_and_a_projection(model):
    config = _config(model, 5)
    generator, discriminator = build_generator(config), build_discriminator(config)
    assert generator.net.num_classes == 5 and discriminator.head.embed.in_features == 5
    assert any("gain" in name for name, _ in generator.net.named_parameters())
    images = torch.zeros(2, 1, 28, 28)
    # the projection makes D's logit depend on the cluster it is told
    assert not torch.equal(discriminator(images, torch.tensor([0, 0])), discriminator(images, torch.tensor([1, 1])))


def test_an_export_keeps_its_shares_and_draws_the_same_samples(tmp_path):
    config = _config("dcgan", 3)
    generator = build_generator(config)
    generator.set_shares(torch.tensor([0.6, 0.3, 0.1]))
    loaded = load_generator(save_generator(tmp_path / "g.safetensors", generator, config))
    assert torch.equal(loaded.boundaries, generator.boundaries)
    seed = torch.Generator().manual_seed(3)
    assert torch.equal(loaded.sample(6, generator=seed), generator.sample(6, generator=torch.Generator().manual_seed(3)))


@pytest.mark.parametrize("values, field, words", [
    ({"model": "cdcgan"}, "clusters", "(it is conditional: its labels are the data's classes); drop it or use dcgan"),
    ({"model": "gan", "clusters": 1}, "clusters", "set clusters to 0 (off) or at least 2"),
    ({"model": "gan", "g_norm": "none"}, ("clusters", "g_norm"), "set g_norm=batch or clusters=0"),
])
def test_clusters_that_cannot_work_name_the_field_and_the_fix(values, field, words):
    with pytest.raises(RayganError, match=re.escape(words)) as err:
        GANConfig.from_dict({"clusters": 10, **values})
    assert err.value.fields == (field if isinstance(field, tuple) else (field,))
