"""Each model's defaults: the best recipe measured for it, for every key a user leaves unset.

:class:`~raygan.config.GANConfig`'s field defaults are one set for all four models (the DCGAN
paper's Adam settings, the non-saturating loss, a batch-norm discriminator).  Measured on 2 CPU
cores (``bench/RESULTS.md``), every model trains far better with a recipe of its own:

- the DCGANs: the hinge loss, spectral norm in D, Adam's betas 0 and 0.9, rates 2e-3 and 4e-3
  and 32 channels (``cdcgan``: one 15-minute run of it beat the search around it on MNIST, fid
  5.1 against 5.5, and on Fashion-MNIST, 10.5 against 13.7); ``dcgan`` also self-conditioned on
  50 clusters of its images (single-threaded 10-minute runs side by side, four at once: fid 16.9
  against 94.2 on MNIST, 25.3 against 73.8 on Fashion-MNIST);
- ``cgan``: class-conditional batch norm in G, a projection D, the hinge loss and rates 3.2e-4
  and 5.4e-4 (level with its search on MNIST, fid 5.0 against 4.8);
- ``gan``: the winner of its 15-minute MNIST search (the hinge loss, rates 1.81e-4 and 4.66e-4,
  ``beta1`` 0.427, 53 latent dimensions, dropout 0.4 in D); single-threaded runs side by side
  drew fid 31.7 against the field defaults' 82.1 on MNIST (12 minutes) and 38.2 against 105 on
  Fashion-MNIST (10 minutes).  Self-conditioned on 50 clusters too: 8-minute runs, four side by
  side, drew 110 against 163 on MNIST and 79 against 104 on Fashion-MNIST.

A recipe only fills keys that are not given, and each of its keys also yields to the given keys
it would contradict (``label_smoothing`` needs the ``ns`` loss, so giving it drops the recipe's
hinge; giving ``cond`` drops its ``g_cond`` and ``d_cond``).  Configs raygan saved (exports,
checkpoints, runs) hold every key and are loaded without a recipe, so they keep what they
trained with.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Ingredient:
    """One key of a recipe: its value, and the other keys that displace it when given."""

    value: object
    yields_to: tuple[str, ...] = ()


_HINGE = Ingredient("hinge", ("label_smoothing",))  # label_smoothing needs the ns loss: giving it drops the hinge
_DCGAN = MappingProxyType({
    "loss": _HINGE,
    "d_norm": Ingredient("spectral"),
    "beta1": Ingredient(0.0),
    "beta2": Ingredient(0.9),
    "lr_g": Ingredient(2e-3),
    "lr_d": Ingredient(4e-3),
    "g_width": Ingredient(32),
    "d_width": Ingredient(32),
})
_CGAN = MappingProxyType({
    # cond would have no effect beside both, label_embedding nothing to embed, and cbn needs G's batch norm
    "g_cond": Ingredient("cbn", ("cond", "label_embedding", "g_norm")),
    "d_cond": Ingredient("projection", ("cond", "label_embedding")),
    "loss": _HINGE,
    "lr_g": Ingredient(3.2e-4),
    "lr_d": Ingredient(5.4e-4),
})
_GAN = MappingProxyType({
    "loss": _HINGE,
    "lr_g": Ingredient(1.81e-4),
    "lr_d": Ingredient(4.66e-4),
    "beta1": Ingredient(0.427),
    "latent_dim": Ingredient(53),
    "d_dropout": Ingredient(0.4),
    "clusters": Ingredient(50, ("g_norm",)),  # its clusters reach G through batch norm, which g_norm none removes
})
# dcgan: self-conditioned on 50 clusters (raygan.models.self_conditioning), which cdcgan's real labels replace
_DCGAN_SELF_CONDITIONED = MappingProxyType({**_DCGAN, "clusters": Ingredient(50)})
RECIPES = MappingProxyType({"gan": _GAN, "dcgan": _DCGAN_SELF_CONDITIONED, "cgan": _CGAN, "cdcgan": _DCGAN})


def recipe_values(model, given) -> dict:
    """The recipe's values for ``model`` that ``given`` (a user's keys) neither sets nor contradicts."""
    recipe = RECIPES.get(model, {}) if isinstance(model, str) else {}
    return {key: part.value for key, part in recipe.items()
            if key not in given and not any(other in given for other in part.yields_to)}


def describe_recipe(model: str) -> str:
    """The recipe in words, for ``--help``: ``loss hinge, d_norm spectral, ...`` (or ``the field defaults``)."""
    recipe = RECIPES[model]
    return ", ".join(f"{key} {part.value:g}" if isinstance(part.value, float) else f"{key} {part.value}"
                     for key, part in recipe.items()) or "none"
