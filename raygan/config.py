"""One validated configuration for a GAN run: model, conditioning, widths and optimiser.

Options are plain values and short strings (``model="cgan"``, ``cond="hidden"``) so that a
config round-trips through JSON, YAML, ``--set key=value`` and Ray Tune's trial config
unchanged.  :meth:`GANConfig.from_dict` is the only way in from untrusted input and turns
every mistake into a one-line :class:`~raygan.errors.RayganError`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from raygan.data import DATASETS
from raygan.errors import RayganError
from raygan.losses import LOSSES
from raygan.models import MODELS, discriminator_norms, is_conditional, keys_without_effect, resolve_d_norm
from raygan.models.conditioning import CONDITIONINGS

G_NORMS = ("batch", "none")
D_NORMS = ("auto", "batch", "spectral", "none")


@dataclass(frozen=True)
class GANConfig:
    """Everything that defines one GAN training run (not its length or outputs)."""

    model: str = "gan"
    dataset: str = "mnist"
    cond: str = "input"  # conditional models: where the label joins ("input" or "hidden")
    label_embedding: int = 0  # 0: one-hot labels; >0: a learned embedding of this size
    latent_dim: int = 100
    g_hidden: tuple[int, ...] = (256, 512, 1024)  # MLP generator widths, input to output
    d_hidden: tuple[int, ...] = (1024, 512, 256)  # MLP discriminator widths, input to output
    g_norm: str = "batch"  # MLP generator: "batch" norm after each hidden layer, or "none"
    d_dropout: float = 0.0  # MLP discriminator: dropout after each hidden layer
    # discriminator norm: "batch" (DCGAN only), "spectral" on every layer, "none", or "auto":
    # the model's own (batch for dcgan and cdcgan, none for gan and cgan)
    d_norm: str = "auto"
    g_width: int = 64  # DCGAN generator channels at 14x14 (twice that at 7x7)
    d_width: int = 64  # DCGAN discriminator channels at 14x14 (twice that at 7x7)
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    batch_size: int = 64
    d_steps: int = 1  # discriminator updates per generator update
    g_ema: float = 0.999  # decay of an exponential moving average of G's weights, warmed up (0: none)
    loss: str = "ns"  # "ns" (non-saturating), "hinge" or "ls" (least squares): see raygan.losses
    label_smoothing: float = 0.0  # one-sided, ns loss only: real targets become 1 - label_smoothing
    seed: int = 0

    @property
    def conditional(self) -> bool:
        return is_conditional(self.model)

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
    def from_dict(cls, values: dict, source: str = "config") -> "GANConfig":
        """Build a config from user values, coercing strings; raise RayganError on any mistake."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise RayganError(
                f"{source}: unknown key '{unknown[0]}'; valid keys are {', '.join(known)}"
            )
        coerced = {name: _coerce(name, value, known[name].type, source) for name, value in values.items()}
        config = cls(**coerced)
        config.validate(source)
        return config

    @classmethod
    def from_saved(cls, values: dict, source: str = "config") -> "GANConfig":
        """:meth:`from_dict` for a config raygan wrote (an export's header, a run's options): a key that
        has no effect on its model is dropped, not refused, since raygan wrote such keys before it
        refused them."""
        model = values.get("model", cls.model)
        ignored = keys_without_effect(model) if model in MODELS else {}
        return cls.from_dict({key: value for key, value in values.items() if key not in ignored}, source)

    def replace(self, **changes) -> "GANConfig":
        return GANConfig.from_dict({**self.to_dict(), **changes})

    def validate(self, source: str = "config") -> None:
        _choice(source, "model", self.model, MODELS)
        _choice(source, "dataset", self.dataset, DATASETS)
        _choice(source, "cond", self.cond, CONDITIONINGS)
        _choice(source, "g_norm", self.g_norm, G_NORMS)
        _choice(source, "d_norm", self.d_norm, D_NORMS)
        d_norms = discriminator_norms(self.model)
        if self.discriminator_norm not in d_norms:
            raise RayganError(f"{source}: d_norm '{self.d_norm}' does not fit model '{self.model}', whose "
                              f"discriminator has no {self.d_norm} norm; use {' or '.join(d_norms)}")
        default = GANConfig()
        for key, message in keys_without_effect(self.model).items():
            if getattr(self, key) != getattr(default, key):  # a default is what every export stores: never an error
                raise RayganError(f"{source}: {message}")
        _within(source, "d_dropout", self.d_dropout, 0.0, 0.9)
        _within(source, "latent_dim", self.latent_dim, 2, 512)
        _within(source, "label_embedding", self.label_embedding, 0, 512)
        for name in ("g_hidden", "d_hidden"):
            widths = getattr(self, name)
            if not 1 <= len(widths) <= 8:
                raise RayganError(f"{source}: {name} must list 1 to 8 layer widths, got {len(widths)}")
            for width in widths:
                _within(source, name, width, 1, 8192)
        _within(source, "g_width", self.g_width, 4, 1024)
        _within(source, "d_width", self.d_width, 4, 1024)
        for name in ("lr_g", "lr_d"):
            if not 0 < getattr(self, name) <= 10:
                raise RayganError(f"{source}: {name} must be in (0, 10], got {getattr(self, name)}; try 2e-4")
        _within(source, "beta1", self.beta1, 0.0, 0.9999)
        _within(source, "beta2", self.beta2, 0.0, 0.9999)
        _within(source, "batch_size", self.batch_size, 2, 8192)
        _within(source, "d_steps", self.d_steps, 1, 10)
        if not (self.g_ema == 0.0 or 0.5 <= self.g_ema < 1.0):
            raise RayganError(f"{source}: g_ema must be 0 (no average) or in [0.5, 1), got {self.g_ema}; try 0.999")
        _choice(source, "loss", self.loss, LOSSES)
        _within(source, "label_smoothing", self.label_smoothing, 0.0, 0.5)
        if self.label_smoothing and self.loss != "ns":
            raise RayganError(f"{source}: label_smoothing applies to loss 'ns' only, not '{self.loss}'; "
                              "set label_smoothing to 0 or loss to ns")
        _within(source, "seed", self.seed, 0, 2**63 - 1)


def _choice(source, name, value, allowed):
    if value not in allowed:
        raise RayganError(f"{source}: unknown {name} '{value}'; choose one of {', '.join(allowed)}")


def _within(source, name, value, low, high):
    if not low <= value <= high:
        raise RayganError(f"{source}: {name} must be between {low} and {high}, got {value}")


def _coerce(name, value, type_name, source):
    """Turn a user value (possibly a CLI string) into the field's type, or fail clearly."""
    bad = RayganError(f"{source}: {name} must be {_describe(type_name)}, got {value!r}")
    if type_name == "str":
        if not isinstance(value, str):
            raise bad
        return value
    if type_name == "tuple[int, ...]":
        if isinstance(value, str):
            value = [part for part in value.replace(" ", "").split(",") if part]
        if not isinstance(value, (list, tuple)):
            raise bad
        return tuple(_coerce(name, item, "int", source) for item in value)
    if isinstance(value, bool):
        raise bad
    try:
        if type_name == "int":
            if isinstance(value, float) and not value.is_integer():
                raise bad
            return int(value) if not isinstance(value, str) else int(value.strip())
        return float(value)
    except (TypeError, ValueError, OverflowError):
        raise bad from None


def _describe(type_name):
    return {"str": "a string", "int": "an integer", "float": "a number",
            "tuple[int, ...]": "a list of integers such as 256,512"}[type_name]


def parse_overrides(pairs: list[str], source: str = "--set") -> dict:
    """Parse ``["key=value", ...]`` into a dict of raw strings for :meth:`GANConfig.from_dict`."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise RayganError(f"{source}: expected key=value, got '{pair}'")
        out[key.strip()] = value.strip()
    return out


