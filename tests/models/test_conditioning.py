"""Conditioning: the label code, and joining it at the input or the first hidden layer of both architectures."""
import pytest
import torch

from raygan.config import GANConfig
from raygan.models import build_models
from raygan.models.conditioning import CONDITIONINGS, METHODS, LabelCode, attach, join_point
from tests.conftest import small_nets

LATENT = 8


def test_one_hot_and_embedded_codes():
    labels = torch.tensor([0, 3, 3])
    one_hot = LabelCode(5, 0, "input")
    assert one_hot.dim == 5 and not list(one_hot.parameters())
    assert torch.equal(one_hot(labels), torch.eye(5)[labels])
    embedded = LabelCode(5, 7, "input")
    assert embedded.dim == 7 and embedded.table.weight.shape == (5, 7)
    codes = embedded(labels)
    assert codes.shape == (3, 7) and torch.equal(codes[1], codes[2]) and not torch.equal(codes[0], codes[1])


def test_a_code_joins_at_its_own_point_only_and_an_unconditional_one_nowhere():
    x, labels = torch.randn(2, 4), torch.tensor([1, 2])
    code = LabelCode(3, 0, "hidden")
    assert (code.width_at("input"), code.width_at("hidden")) == (0, 3)
    assert code.at("input", x, labels) is x and code.at("hidden", x, labels).shape == (2, 7)
    unconditional = LabelCode(3, 16, None)  # an embedding size on an unconditional net builds nothing
    assert not list(unconditional.parameters())
    assert all(unconditional.width_at(p) == 0 and unconditional.at(p, x, labels) is x for p in ("input", "hidden"))


def test_codes_join_vectors_by_concatenation_and_feature_maps_as_constant_maps():
    code = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert torch.equal(attach(torch.zeros(2, 3), code), torch.tensor([[0, 0, 0, 1, 2], [0, 0, 0, 3, 4.0]]))
    maps = attach(torch.zeros(2, 3, 5, 5), code)
    assert maps.shape == (2, 5, 5, 5) and torch.equal(maps[:, 3:], code[:, :, None, None].expand(-1, -1, 5, 5))


def test_every_method_joins_both_nets_and_is_a_cond_value():
    assert CONDITIONINGS == tuple(METHODS) == ("input", "hidden")
    assert [(join_point(c, "generator"), join_point(c, "discriminator")) for c in CONDITIONINGS] == \
        [("input", "input"), ("hidden", "hidden")]
    assert join_point(None, "generator") is None


def _join_widths(net):
    """The input widths (features or channels) of the two layers a label can join: the first and the second."""
    if hasattr(net, "join"):  # MLP
        return net.first[0].in_features, net.rest[0].in_features
    if hasattr(net, "project"):  # DCGAN generator
        return net.project[0].in_features, net.upsample[0].in_channels
    return net.first[0].in_channels, net.second[0].in_channels  # DCGAN discriminator


# model: (widths without a label, widths with a label of `dim` features joined at input, at hidden) for G and D;
# the MLP maps the code to its first hidden width (16 in G, 32 in D) before joining it there
WIDTHS = {
    "cgan": lambda dim: {"generator": [(LATENT, 16), (LATENT + dim, 16), (LATENT, 16 + 16)],
                         "discriminator": [(784, 32), (784 + dim, 32), (784, 32 + 32)]},
    "cdcgan": lambda dim: {"generator": [(LATENT, 16), (LATENT + dim, 16), (LATENT, 16 + dim)],
                           "discriminator": [(1, 8), (1 + dim, 8), (1, 8 + dim)]},
}


@pytest.mark.parametrize("embedding", [0, 6])
@pytest.mark.parametrize("cond", ["input", "hidden"])
@pytest.mark.parametrize("model", ["cgan", "cdcgan"])
def test_the_label_joins_both_nets_of_both_architectures_where_cond_says(model, cond, embedding):
    config = GANConfig.from_dict({"model": model, "cond": cond, "label_embedding": embedding, "latent_dim": LATENT,
                                  **small_nets(model, hidden=(16, 32))})
    torch.manual_seed(0)
    generator, discriminator = build_models(config)
    expected = WIDTHS[model](embedding or 10)
    for name, net in (("generator", generator), ("discriminator", discriminator)):
        assert _join_widths(net) == expected[name][CONDITIONINGS.index(cond) + 1], name
    generator.eval(), discriminator.eval()  # batch statistics would mix the two labels' samples
    with torch.no_grad():
        images = generator(torch.randn(1, LATENT).expand(2, LATENT), torch.tensor([3, 7]))
        assert not torch.allclose(images[0], images[1])
        logits = discriminator(images[:1].expand(2, -1, -1, -1), torch.tensor([3, 7]))
        assert logits[0] != logits[1]


@pytest.mark.parametrize("model", ["gan", "dcgan"])
def test_unconditional_nets_take_no_label(model):
    config = GANConfig.from_dict({"model": model, "latent_dim": LATENT, **small_nets(model, hidden=(16, 32))})
    generator, discriminator = build_models(config)
    expected = WIDTHS["c" + model](10)
    assert [_join_widths(generator), _join_widths(discriminator)] == \
        [expected["generator"][0], expected["discriminator"][0]]
