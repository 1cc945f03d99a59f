"""GANConfig: validation of every field and coercion from strings."""
import pytest

from raygan.config import GANConfig, parse_overrides
from raygan.errors import RayganError


def test_defaults_validate_and_round_trip():
    config = GANConfig()
    assert GANConfig.from_dict(config.to_dict()) == config


def test_strings_are_coerced():
    config = GANConfig.from_dict({"model": "cgan", "latent_dim": "64", "lr_g": "1e-3", "g_hidden": "128,256"})
    assert (config.latent_dim, config.lr_g, config.g_hidden) == (64, 1e-3, (128, 256))
    assert config.conditional


@pytest.mark.parametrize("values, words", [
    ({"model": "vae"}, ["unknown", "model", "gan"]),
    ({"cond": "output"}, ["cond", "input", "hidden"]),
    ({"latent_dim": 0}, ["latent_dim", "2", "512"]),
    ({"latent_dim": 513}, ["latent_dim"]),
    ({"latent_dim": "ten"}, ["latent_dim", "whole number"]),
    ({"lr_g": 0}, ["lr_g"]),
    ({"lr_d": -1e-3}, ["lr_d"]),
    ({"dataset": "cifar10"}, ["dataset", "mnist"]),
    ({"batch_size": 1}, ["batch_size"]),
    ({"learning_rate": 1e-3}, ["unknown key", "learning_rate", "lr_g"]),
    ({"loss": "wgan"}, ["unknown loss 'wgan'", "ns", "hinge", "ls"]),
    ({"d_norm": "layer"}, ["unknown d_norm 'layer'", "spectral"]),
    ({"loss": "hinge", "label_smoothing": 0.1}, ["label_smoothing", "loss", "hinge", "ns"]),
    ({"loss": "ls", "label_smoothing": 0.1}, ["label_smoothing", "loss", "ls"]),
    ({"model": "gan", "d_norm": "batch"}, ["d_norm", "no batch norm", "none or spectral"]),
    ({"model": "cgan", "d_norm": "batch"}, ["d_norm", "no batch norm", "none or spectral"]),
])
def test_bad_values_raise_one_line_errors(values, words):
    with pytest.raises(RayganError) as err:
        GANConfig.from_dict(values, source="test.yaml")
    message = str(err.value)
    assert "\n" not in message and message.startswith("test.yaml")
    for word in words:
        assert word in message


def test_d_norm_auto_keeps_each_models_own_and_smoothing_stays_with_ns():
    assert [GANConfig(model=m).discriminator_norm for m in ("gan", "dcgan", "cgan", "cdcgan")] == \
        ["none", "batch", "none", "batch"]
    assert GANConfig.from_dict({"model": "cdcgan", "d_norm": "spectral"}).discriminator_norm == "spectral"
    assert GANConfig.from_dict({"loss": "ns", "label_smoothing": 0.1}).label_smoothing == 0.1


def test_replace_validates():
    with pytest.raises(RayganError):
        GANConfig().replace(latent_dim=1)
    assert GANConfig().replace(latent_dim=2).latent_dim == 2


def test_parse_overrides():
    assert parse_overrides(["lr_g=1e-4", " cond = hidden "]) == {"lr_g": "1e-4", "cond": "hidden"}
    with pytest.raises(RayganError, match="key=value"):
        parse_overrides(["lr_g"])


@pytest.mark.parametrize("values, message", [
    ({"model": "gan", "cond": "hidden"}, "cond has no effect on model gan (it is unconditional); drop it or use cgan"),
    ({"model": "dcgan", "label_embedding": 16},
     "label_embedding has no effect on model dcgan (it is unconditional); drop it or use cdcgan"),
    ({"model": "dcgan", "g_hidden": "128,256"},
     "g_hidden has no effect on model dcgan (it is a DCGAN); drop it or use gan"),
    ({"model": "cdcgan", "d_hidden": [64]},
     "d_hidden has no effect on model cdcgan (it is a DCGAN); drop it or use cgan"),
    ({"model": "cdcgan", "g_norm": "none"},
     "g_norm has no effect on model cdcgan (it is a DCGAN); drop it or use cgan"),
    ({"model": "dcgan", "d_dropout": 0.3},
     "d_dropout has no effect on model dcgan (it is a DCGAN); drop it or use gan"),
    ({"model": "gan", "g_width": 32}, "g_width has no effect on model gan (it is an MLP); drop it or use dcgan"),
    ({"model": "cgan", "d_width": 32}, "d_width has no effect on model cgan (it is an MLP); drop it or use cdcgan"),
])
def test_a_key_with_no_effect_on_the_model_is_a_one_line_error(values, message):
    with pytest.raises(RayganError) as err:
        GANConfig.from_dict(values, source="test.yaml")
    assert str(err.value) == f"test.yaml: {message}"


def test_a_key_at_its_default_is_never_an_error_and_saved_configs_drop_keys_with_no_effect():
    for model in ("gan", "dcgan", "cgan", "cdcgan"):  # what every export and run stores: all keys, defaults included
        assert GANConfig.from_dict({**GANConfig().to_dict(), "model": model}).model == model
    saved = {**GANConfig().to_dict(), "model": "gan", "cond": "hidden", "g_width": 8, "g_hidden": [16]}
    assert GANConfig.from_saved(saved) == GANConfig(model="gan", g_hidden=(16,))
    with pytest.raises(RayganError, match="g_hidden must list"):  # the keys that do have an effect are checked
        GANConfig.from_saved({**saved, "g_hidden": []})
