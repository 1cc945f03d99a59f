"""One validated configuration for a GAN run: model, conditioning, widths and optimiser.

Options are plain values and short strings (``model="cgan"``, ``cond="hidden"``) so that a
config round-trips through JSON, YAML, ``--set key=value`` and Ray Tune's trial config
unchanged.  :meth:`GANConfig.from_dict` is the only way in from untrusted input and turns
every mistake into a one-line :class:`~raygan.errors.RayganError`: each field declares the
values it admits beside itself (:func:`raygan.schema.setting`), and :meth:`GANConfig.validate`
holds the rules that span fields.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from raygan.augment import POLICIES
from raygan.compiled import COMPILE_CHOICES
from raygan.data import DATASETS
from raygan.budget import images_per_step
from raygan.ema import DEFAULT_EMA_KIMG, DEFAULT_EMA_RAMPUP, ema_kimg_of_decay
from raygan.errors import RayganError
from raygan.losses import LOSSES
from raygan.models import MODELS, discriminator_norms, is_conditional, keys_without_effect, resolve_d_norm
from raygan.models.conditioning import CONDITIONINGS, D_METHODS, G_METHODS, join_point, resolve
from raygan.recipes import recipe_values
from raygan.schema import build, setting

G_NORMS = ("batch", "none")
AUGMENTS = ("none", "diff", "ada")
D_NORMS = ("auto", "batch", "spectral", "none")


@dataclass(frozen=True)
class GANConfig:
    """Everything that defines one GAN training run (not its length or outputs)."""

    model: str = setting("gan", choices=MODELS)
    dataset: str = setting("mnist", choices=DATASETS)
    # conditional models: where the nets whose g_cond/d_cond is "auto" concatenate the label
    cond: str = setting("input", choices=CONDITIONINGS)
    # each net's own conditioning (raygan.models.conditioning), "auto" for cond's: G concatenates at the
    # input or a hidden layer or uses class-conditional batch norm ("cbn"); D concatenates, or ends in a
    # "projection" head or an auxiliary classifier head ("ac")
    g_cond: str = setting("auto", choices=("auto",) + G_METHODS)
    d_cond: str = setting("auto", choices=("auto",) + D_METHODS)
    ac_weight: float = setting(1.0, low=0, above=True, high=100)  # d_cond ac: the class loss's weight in both losses
    label_embedding: int = setting(0, low=0, high=512)  # 0: one-hot labels; >0: a learned embedding of this size
    latent_dim: int = setting(100, low=2, high=512)
    # unconditional models: both nets conditioned on this many k-means clusters of the training images, G
    # choosing one from z (raygan.models.self_conditioning); 0: off
    clusters: int = setting(0, low=0, high=1000)
    g_hidden: tuple[int, ...] = setting((256, 512, 1024), low=1, high=8192, count=(1, 8))  # MLP G widths, input first
    d_hidden: tuple[int, ...] = setting((1024, 512, 256), low=1, high=8192, count=(1, 8))  # MLP D widths, input first
    g_norm: str = setting("batch", choices=G_NORMS)  # MLP generator: "batch" norm after each hidden layer, or "none"
    d_dropout: float = setting(0.0, low=0.0, high=0.9)  # MLP discriminator: dropout after each hidden layer
    # discriminator norm: "batch" (DCGAN only), "spectral" on every layer, "none", or "auto":
    # the model's own (batch for dcgan and cdcgan, none for gan and cgan)
    d_norm: str = setting("auto", choices=D_NORMS)
    g_width: int = setting(64, low=4, high=1024)  # DCGAN generator channels at 14x14 (twice that at 7x7)
    d_width: int = setting(64, low=4, high=1024)  # DCGAN discriminator channels at 14x14 (twice that at 7x7)
    lr_g: float = setting(2e-4, low=0, above=True, high=10, hint="try 2e-4")
    lr_d: float = setting(2e-4, low=0, above=True, high=10, hint="try 2e-4")
    beta1: float = setting(0.5, low=0.0, high=0.9999)
    beta2: float = setting(0.999, low=0.0, high=0.9999)
    batch_size: int = setting(64, low=2, high=8192)
    d_steps: int = setting(1, low=1, high=10)  # discriminator updates per generator update
    # an exponential moving average of G's weights (raygan.ema): its half-life in thousands of real images
    # (0: none), at most ema_rampup of the images seen so far (0: no ramp-up)
    ema_kimg: float = setting(DEFAULT_EMA_KIMG, low=0.0, high=100000.0, unit="kimg")
    ema_rampup: float = setting(DEFAULT_EMA_RAMPUP, low=0.0, high=1.0)
    loss: str = setting("ns", choices=LOSSES)  # ns (non-saturating), hinge or ls (least squares): raygan.losses
    label_smoothing: float = setting(0.0, low=0.0, high=0.5)  # one-sided, ns loss only: real targets become 1 - this
    # small data (raygan.augment, raygan.ada, raygan.regularizers): augment what D sees, real and fake, in both
    # steps ("diff": always; "ada": with a probability that follows D's overfitting signal r_t to ada_target,
    # moving from 0 to 1 in at most ada_kimg); R1 on real images every r1_every steps; LeCam.  The keys that
    # refine another (augment_policy, ada_*, r1_every) are ignored where it is off, so a search may draw both.
    augment: str = setting("none", choices=AUGMENTS)
    augment_policy: str = setting("color,translation,cutout", choices=POLICIES)
    ada_target: float = setting(0.6, low=0.0, high=1.0, above=True, below=True)
    ada_kimg: float = setting(100.0, low=0.0, above=True, high=100000.0, unit="kimg")
    r1_gamma: float = setting(0.0, low=0.0, high=1000.0)  # 0: off; stylegan2-ada's choice 0.0002 * H * W / batch
    r1_every: int = setting(16, low=1, high=1000)
    lecam_weight: float = setting(0.0, low=0.0, high=100.0)  # 0: off
    seed: int = setting(0, low=0, high=2**63 - 1)
    # torch.compile of the training step (raygan.compiled): "auto" where it was measured to pay, "on", "off"
    compile: str = setting("auto", choices=COMPILE_CHOICES)

    @property
    def conditional(self) -> bool:
        return is_conditional(self.model)

    @property
    def labelled(self) -> bool:
        """Whether D sees each image with a label: the data's class, or its cluster (``clusters``)."""
        return self.conditional or self.clusters > 0

    @property
    def g_method(self) -> str:
        """The generator's conditioning, ``auto`` resolved (meaningful for conditional models)."""
        return resolve(self.cond, self.g_cond)

    @property
    def d_method(self) -> str:
        """The discriminator's conditioning, ``auto`` resolved (meaningful for conditional models)."""
        return resolve(self.cond, self.d_cond)

    @property
    def discriminator_norm(self) -> str:
        """``d_norm`` with ``auto`` resolved to the model's own norm."""
        return resolve_d_norm(self.model, self.d_norm)

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["g_hidden"] = list(self.g_hidden)
        out["d_hidden"] = list(self.d_hidden)
        return out

    @classmethod
    def from_dict(cls, values: dict, source: str = "config", recipe: bool = True) -> "GANConfig":
        """Build a config from user values, coercing strings; raise RayganError on any mistake.

        Keys not given take the model's recipe (:mod:`raygan.recipes`, unless ``recipe`` is false),
        then the field defaults."""
        if "g_ema" in values:
            raise RayganError(f"{source}: g_ema (a decay per step) is now ema_kimg, the weight average's half-life "
                              f"in thousands of images whatever the batch: g_ema 0.999 at batch 64 is ema_kimg "
                              f"{DEFAULT_EMA_KIMG:g}, 0 is none", "g_ema")
        if recipe:
            values = {**recipe_values(values.get("model", cls.model), values), **values}
        config = build(cls, values, source)
        config.validate(source)
        return config

    @classmethod
    def from_saved(cls, values: dict, source: str = "config") -> "GANConfig":
        """:meth:`from_dict` for a config raygan wrote (an export's header, a run's options): a key that
        has no effect on its model is dropped, not refused, since raygan wrote such keys before it
        refused them, and a key it lacks takes the field default, not the model's recipe (written
        before the key existed, the run trained with that default)."""
        model = values.get("model", cls.model)
        ignored = keys_without_effect(model) if model in MODELS else {}
        return cls.from_dict(_without_g_ema({key: value for key, value in values.items() if key not in ignored}),
                             source, recipe=False)

    def replace(self, **changes) -> "GANConfig":
        return GANConfig.from_dict({**self.to_dict(), **changes})

    def validate(self, source: str = "config") -> None:
        """The rules that span fields (each field's own are checked by :func:`~raygan.schema.build`)."""
        d_norms = discriminator_norms(self.model)
        if self.discriminator_norm not in d_norms:
            raise RayganError(f"{source}: d_norm '{self.d_norm}' does not fit model '{self.model}', whose "
                              f"discriminator has no {self.d_norm} norm; use {' or '.join(d_norms)}")
        default = GANConfig()
        for key, message in keys_without_effect(self.model).items():
            if getattr(self, key) != getattr(default, key):  # a default is what every export stores: never an error
                raise RayganError(f"{source}: {message}", key)
        if self.conditional:
            self._validate_conditioning(source, default)
        if self.clusters == 1:
            raise RayganError(f"{source}: clusters 1 is one class for every image; set clusters to 0 (off) or "
                              "at least 2", "clusters")
        if self.clusters and self.g_norm != "batch":
            raise RayganError(f"{source}: clusters condition G through its batch norms, and g_norm 'none' gives it "
                              "none; set g_norm=batch or clusters=0", ("clusters", "g_norm"))
        if self.label_smoothing and self.loss != "ns":
            raise RayganError(f"{source}: label_smoothing applies to loss 'ns' only, not '{self.loss}'; "
                              "set label_smoothing to 0 or loss to ns", ("label_smoothing", "loss"))

    def _validate_conditioning(self, source: str, default: "GANConfig") -> None:
        """The rules between the conditioning keys and the rest (a default value is never an error)."""
        if self.ac_weight != default.ac_weight and self.d_method != "ac":
            raise RayganError(f"{source}: ac_weight weighs the auxiliary classifier's loss and has no effect with "
                              f"d_cond '{self.d_method}'; drop it or set d_cond=ac", ("ac_weight", "d_cond"))
        if self.cond != default.cond and "auto" not in (self.g_cond, self.d_cond):
            raise RayganError(f"{source}: cond has no effect when g_cond and d_cond are both set; drop it",
                              ("cond", "g_cond", "d_cond"))
        concatenating = any(join_point(method) for method in (self.g_method, self.d_method))
        if self.label_embedding != default.label_embedding and not concatenating:
            raise RayganError(f"{source}: label_embedding sizes the label code that is concatenated, and neither "
                              f"net concatenates (g_cond {self.g_method}, d_cond {self.d_method}); drop it or set "
                              "g_cond or d_cond to input or hidden", ("label_embedding", "g_cond", "d_cond"))
        if self.g_method == "cbn" and self.g_norm != "batch":
            raise RayganError(f"{source}: g_cond 'cbn' makes the generator's batch norms class-conditional, and "
                              "g_norm 'none' gives it none; set g_norm=batch or another g_cond", ("g_cond", "g_norm"))


def _without_g_ema(values: dict) -> dict:
    """A saved config written before ``ema_kimg``: its per-step ``g_ema`` as the half-life it had at its batch
    size (its warm-up is close to the default ramp-up), so its exports, checkpoints and runs keep their average."""
    if "g_ema" not in values:
        return values
    out = {key: value for key, value in values.items() if key != "g_ema"}
    step_images = images_per_step(int(values.get("batch_size", GANConfig.batch_size)),
                                  int(values.get("d_steps", GANConfig.d_steps)))
    out["ema_kimg"] = ema_kimg_of_decay(float(values["g_ema"]), step_images)
    return out


def parse_overrides(pairs: list[str], source: str = "--set") -> dict:
    """Parse ``["key=value", ...]`` into a dict of raw strings for :meth:`GANConfig.from_dict`."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise RayganError(f"{source}: expected key=value, got '{pair}'")
        out[key.strip()] = value.strip()
    return out


