"""Conditioning: the label code joined at the input or the first hidden layer of both architectures,
class-conditional batch norm in G, and D's projection and auxiliary-classifier heads."""
import math

import pytest
import torch
from torch.nn import functional as F

from raygan.config import GANConfig
from raygan.errors import RayganError
from raygan.losses import class_loss
from raygan.models import build_models
from raygan.models.conditioning import (CONDITIONINGS, D_METHODS, G_METHODS, ClassBatchNorm, LabelCode, LabelHead,
                                        attach, join_point, resolve)
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


def test_each_net_has_its_method_auto_follows_cond_and_only_concatenation_joins_a_code():
    assert CONDITIONINGS == ("input", "hidden")
    assert G_METHODS == ("input", "hidden", "cbn") and D_METHODS == ("input", "hidden", "projection", "ac")
    assert [resolve("hidden", "auto"), resolve("hidden", "cbn"), resolve("input", "input")] == \
        ["hidden", "cbn", "input"]
    assert [join_point(m) for m in ("input", "hidden", "cbn", "projection", "ac", None)] == \
        ["input", "hidden", None, None, None, None]
    config = GANConfig.from_dict({"model": "cdcgan", "cond": "hidden", "d_cond": "projection"})
    assert (config.g_method, config.d_method) == ("hidden", "projection")


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
    config = GANConfig.from_dict({"model": model, "latent_dim": LATENT, "clusters": 0,
                                  **small_nets(model, hidden=(16, 32))})
    generator, discriminator = build_models(config)
    expected = WIDTHS["c" + model](10)
    assert [_join_widths(generator), _join_widths(discriminator)] == \
        [expected["generator"][0], expected["discriminator"][0]]


def test_a_projection_head_adds_the_class_embedding_s_inner_product_with_the_pooled_features():
    head = LabelHead("projection", num_classes=3, channels=2, flat_features=8)
    with torch.no_grad():
        head.embed.weight.copy_(torch.tensor([[1.0, 0.0, -1.0], [2.0, 0.5, 0.0]]))  # (channels, classes)
    h = torch.arange(16.0).reshape(2, 2, 2, 2)  # two samples, two channels of 2x2
    pooled = torch.tensor([[0 + 1 + 2 + 3, 4 + 5 + 6 + 7], [8 + 9 + 10 + 11, 12 + 13 + 14 + 15.0]])
    labels = torch.tensor([0, 2])  # embeddings (1, 2) and (-1, 0)
    expected = torch.tensor([1 * pooled[0, 0] + 2 * pooled[0, 1], -1 * pooled[1, 0] + 0 * pooled[1, 1]])
    assert torch.allclose(head.projection(h, labels), expected)
    assert head.classes(h) is None and head.classify is None
    assert torch.allclose(head.projection(pooled, labels), expected)  # an MLP's features are already vectors


@pytest.mark.parametrize("model", ["cgan", "cdcgan"])
def test_a_projection_discriminator_s_logit_is_its_plain_logit_plus_the_projection(model):
    config = GANConfig.from_dict({"model": model, "d_cond": "projection", "latent_dim": LATENT,
                                  **small_nets(model, hidden=(16, 32))})
    _, discriminator = build_models(config)
    discriminator.eval()
    images, labels = torch.rand(4, 1, 28, 28) * 2 - 1, torch.tensor([0, 1, 2, 9])
    with torch.no_grad():
        h = discriminator.features(images, labels)
        plain = discriminator.out(h.flatten(1)).squeeze(1)
        pooled = h.sum((2, 3)) if h.dim() == 4 else h
        projection = (discriminator.head.embed.weight.t()[labels] * pooled).sum(1)
        logits, classes = discriminator.judge(images, labels)
        assert torch.allclose(logits, plain + projection, atol=1e-5) and classes is None
        assert not torch.allclose(logits, discriminator(images, torch.tensor([1, 2, 3, 0])))  # the label counts


def test_an_auxiliary_classifier_head_gives_class_logits_and_its_cross_entropy():
    head = LabelHead("ac", num_classes=3, channels=2, flat_features=4)
    with torch.no_grad():
        head.classify.weight.copy_(torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, 1.0]]))
        head.classify.bias.zero_()
    head.requires_grad_(False)
    h = torch.tensor([[[[2.0, 0.0]], [[0.0, 0.0]]], [[[0.0, 1.0]], [[1.0, 1.0]]]])  # flattens to 4 features
    classes = head.classes(h)
    assert torch.equal(classes, torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 2.0]])) and head.embed is None
    assert head.projection(h, torch.tensor([0, 1])) == 0.0
    labels = torch.tensor([0, 2])
    e = math.e  # softmax of (2, 0, 0) at class 0 and of (0, 1, 2) at class 2
    by_hand = -(math.log(e ** 2 / (e ** 2 + 2)) + math.log(e ** 2 / (1 + e + e ** 2))) / 2
    assert float(class_loss(classes, labels, 0.5)) == pytest.approx(0.5 * by_hand, rel=1e-5)
    assert class_loss(None, labels, 0.5) == 0.0


def test_class_batch_norm_scales_and_shifts_each_class_by_its_own_parameters():
    norm = ClassBatchNorm(num_classes=2, features=3, maps=True)
    x, labels = torch.randn(4, 3, 2, 2), torch.tensor([0, 1, 0, 1])
    assert torch.allclose(norm(x, labels), F.batch_norm(x, None, None, training=True), atol=1e-5)  # starts plain
    with torch.no_grad():
        norm.gain.weight[1] = 2.0
        norm.bias.weight[1] = torch.tensor([0.0, 1.0, -1.0])
    normalised = F.batch_norm(x, None, None, training=True)
    out = norm(x, labels)
    assert torch.allclose(out[0], normalised[0], atol=1e-5)
    assert torch.allclose(out[1], 2 * normalised[1] + torch.tensor([0.0, 1.0, -1.0])[:, None, None], atol=1e-5)


@pytest.mark.parametrize("model", ["cgan", "cdcgan"])
def test_a_cbn_generator_normalises_with_class_parameters_and_concatenates_nothing(model):
    config = GANConfig.from_dict({"model": model, "g_cond": "cbn", "latent_dim": LATENT,
                                  **small_nets(model, hidden=(16, 32))})
    generator, _ = build_models(config)
    norms = [m for m in generator.modules() if isinstance(m, ClassBatchNorm)]
    plain = [m for m in generator.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    assert norms and len(plain) == len(norms)  # every batch norm of G is a class one
    assert _join_widths(generator) == WIDTHS[model](10)["generator"][0]  # no code joined anywhere
    generator.eval()
    with torch.no_grad():
        images = generator(torch.randn(1, LATENT).expand(2, LATENT), torch.tensor([3, 7]))
        for norm in norms:  # make classes 3 and 7 differ
            norm.bias.weight[7] += 1.0
        moved = generator(torch.randn(1, LATENT).expand(2, LATENT), torch.tensor([3, 7]))
    assert torch.allclose(images[0], images[1]) and not torch.allclose(moved[0], moved[1])


@pytest.mark.parametrize("values, message", [
    ({"model": "cgan", "cond": "hidden", "g_cond": "cbn", "d_cond": "ac"},
     "cond has no effect when g_cond and d_cond are both set; drop it"),
    ({"model": "cdcgan", "ac_weight": 0.5}, "ac_weight weighs the auxiliary classifier's loss and has no effect "
                                             "with d_cond 'input'; drop it or set d_cond=ac"),
    ({"model": "cgan", "g_cond": "cbn", "d_cond": "projection", "label_embedding": 8},
     "label_embedding sizes the label code that is concatenated, and neither net concatenates (g_cond cbn, "
     "d_cond projection); drop it or set g_cond or d_cond to input or hidden"),
    ({"model": "cgan", "g_cond": "cbn", "g_norm": "none"},
     "g_cond 'cbn' makes the generator's batch norms class-conditional, and g_norm 'none' gives it none"),
    ({"model": "dcgan", "d_cond": "projection"}, "d_cond has no effect on model dcgan (it is unconditional); "
                                                 "drop it or use cdcgan"),
    ({"model": "cgan", "g_cond": "projection"}, "unknown g_cond 'projection'; choose one of auto, input, hidden, cbn"),
    ({"model": "cgan", "d_cond": "cbn"}, "unknown d_cond 'cbn'; choose one of auto, input, hidden, projection, ac"),
    ({"model": "cgan", "d_cond": "ac", "ac_weight": 0}, "ac_weight must be in (0, 100], got 0.0"),
])
def test_conditioning_keys_that_make_no_sense_are_one_line_errors(values, message):
    with pytest.raises(RayganError, match="^config: ") as error:
        GANConfig.from_dict(values)
    assert message in str(error.value) and "\n" not in str(error.value)
