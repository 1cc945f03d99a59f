"""The model registry: what each model name means, which keys have an effect on it, label checks."""
import pytest

from raygan.config import GANConfig
from raygan.errors import RayganError
from raygan.models import (DCGAN, FAMILIES, MLP, MODELS, build_models, discriminator_norms, is_conditional,
                           keys_without_effect, resolve_d_norm)


def test_the_four_models_are_an_architecture_with_or_without_conditioning():
    assert MODELS == ("gan", "dcgan", "cgan", "cdcgan")
    assert {name: (family.architecture, family.conditional) for name, family in FAMILIES.items()} == {
        "gan": (MLP, False), "dcgan": (DCGAN, False), "cgan": (MLP, True), "cdcgan": (DCGAN, True)}
    assert [is_conditional(m) for m in MODELS] == [False, False, True, True]
    assert [discriminator_norms(m)[0] for m in MODELS] == [resolve_d_norm(m, "auto") for m in MODELS] == \
        ["none", "batch", "none", "batch"]
    assert resolve_d_norm("gan", "spectral") == "spectral"


@pytest.mark.parametrize("model, keys", [
    ("gan", {"cond", "g_cond", "d_cond", "label_embedding", "ac_weight", "g_width", "d_width"}),
    ("cgan", {"g_width", "d_width", "clusters"}),
    ("dcgan", {"cond", "g_cond", "d_cond", "label_embedding", "ac_weight", "g_hidden", "d_hidden", "g_norm",
               "d_dropout"}),
    ("cdcgan", {"g_hidden", "d_hidden", "g_norm", "d_dropout", "clusters"}),
])
def test_keys_without_effect_name_the_nearest_model_that_reads_them(model, keys):
    messages = keys_without_effect(model)
    assert set(messages) == keys
    fits = {"gan": {"g_width": "dcgan", "cond": "cgan"}, "cgan": {"d_width": "cdcgan", "clusters": "gan"},
            "dcgan": {"g_hidden": "gan", "label_embedding": "cdcgan"},
            "cdcgan": {"d_dropout": "cgan", "clusters": "dcgan"}}[model]
    for key, other in fits.items():
        assert messages[key].endswith(f"drop it or use {other}") and key not in keys_without_effect(other)


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
