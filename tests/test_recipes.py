"""Each model's defaults are its measured recipe: filled only where the user is silent, never for saved configs."""
import re
from pathlib import Path

import pytest

from raygan.config import GANConfig
from raygan.data import dataset_info
from raygan.models import MODELS, build_models
from raygan.recipes import RECIPES, recipe_values


@pytest.mark.parametrize("model", MODELS)
def test_every_model_trains_its_recipe_by_default_and_the_recipe_is_a_valid_config(model):
    config = GANConfig.from_dict({"model": model})
    for key, part in RECIPES[model].items():
        assert getattr(config, key) == part.value, key
    build_models(config, dataset_info("mnist"))  # the nets the recipe describes can be built
    field_defaults = GANConfig(model=model).to_dict()
    changed = {key for key, value in config.to_dict().items() if field_defaults[key] != value}
    assert changed == set(RECIPES[model])  # nothing but the recipe differs from the field defaults


def test_each_recipe_is_the_measured_one():
    dcgan = GANConfig.from_dict({"model": "dcgan"})
    assert (dcgan.loss, dcgan.discriminator_norm, dcgan.beta1, dcgan.beta2) == ("hinge", "spectral", 0.0, 0.9)
    assert (dcgan.lr_g, dcgan.lr_d, dcgan.g_width, dcgan.d_width) == (2e-3, 4e-3, 32, 32)
    cgan = GANConfig.from_dict({"model": "cgan"})
    assert (cgan.g_method, cgan.d_method, cgan.loss) == ("cbn", "projection", "hinge")
    gan = GANConfig.from_dict({"model": "gan"})
    assert (gan.loss, gan.lr_g, gan.lr_d, gan.beta1, gan.latent_dim, gan.d_dropout) == (
        "hinge", 1.81e-4, 4.66e-4, 0.427, 53, 0.4)


def test_given_keys_win_and_displace_the_recipe_keys_they_contradict():
    assert GANConfig.from_dict({"model": "dcgan", "lr_g": 1e-4}).lr_g == 1e-4
    assert GANConfig.from_dict({"model": "dcgan", "lr_g": 1e-4}).lr_d == 4e-3  # the rest of the recipe stays
    smoothed = GANConfig.from_dict({"model": "dcgan", "label_smoothing": 0.1})  # needs ns: the hinge gives way
    assert smoothed.loss == "ns" and smoothed.discriminator_norm == "spectral"
    hidden = GANConfig.from_dict({"model": "cgan", "cond": "hidden"})  # cond alone: both nets follow it
    assert (hidden.g_method, hidden.d_method) == ("hidden", "hidden")
    embedded = GANConfig.from_dict({"model": "cgan", "label_embedding": 16})  # something concatenates it
    assert (embedded.g_method, embedded.d_method) == ("input", "input")
    plain = GANConfig.from_dict({"model": "cgan", "g_norm": "none"})  # cbn needs G's batch norm
    assert (plain.g_method, plain.d_method) == ("input", "projection")
    ac = GANConfig.from_dict({"model": "cgan", "d_cond": "ac"})
    assert (ac.g_method, ac.d_method) == ("cbn", "ac")
    assert recipe_values(["not", "a", "name"], {}) == {}  # a bad model is build's error to report, not a crash


def test_saved_configs_keep_what_they_trained_with():
    """An export or checkpoint written before the recipes lacks none of its keys, and a key it lacks is one added
    since: the field default, which that run trained with, not the recipe."""
    old = GANConfig(model="dcgan").to_dict()  # the field defaults: batch-norm D, ns loss, 64 channels
    loaded = GANConfig.from_saved(old)
    assert (loaded.discriminator_norm, loaded.loss, loaded.g_width, loaded.lr_g) == ("batch", "ns", 64, 2e-4)
    assert GANConfig.from_saved({"model": "dcgan"}).g_width == 64


def test_train_help_lists_each_models_recipe():
    from raygan.train import build_parser

    text = " ".join(build_parser().format_help().split())
    assert "dcgan: loss hinge, d_norm spectral, beta1 0, beta2 0.9, lr_g 0.002, lr_d 0.004, g_width 32" in text
    assert "cgan: g_cond cbn, d_cond projection, loss hinge" in text
    assert "gan: loss hinge, lr_g 0.000181, lr_d 0.000466, beta1 0.427, latent_dim 53, d_dropout 0.4, clusters 50" in text


def test_readme_recipe_table_gives_each_models_recipe():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    rows = {}
    for line in readme.splitlines():  # | `dcgan`, `cdcgan` | `loss` hinge, `lr_g` 2e-3, ... | measured |
        cells = line.split(" | ")
        if len(cells) == 3 and cells[1].startswith("`") and "`lr_g`" in cells[1]:
            for model in re.findall(r"`(\w+)`", cells[0]):
                rows[model] = dict(re.findall(r"`(\w+)` ([^,]+?)(?:,|$| \()", cells[1]))
    assert sorted(rows) == sorted(RECIPES)
    for model, recipe in RECIPES.items():
        assert set(rows[model]) == set(recipe), model
        for key, part in recipe.items():
            shown = rows[model][key]
            assert (float(shown) == part.value) if isinstance(part.value, float) else shown == str(part.value), key
