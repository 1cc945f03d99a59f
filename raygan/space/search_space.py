"""A validated search space: what every trial shares, what is searched, and the search's own settings."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from raygan.budget import Budget
from raygan.collapse import CollapseRules
from raygan.constraints import ranked_key
from raygan.data import FOLDER
from raygan.errors import RayganError
from raygan.schema import build, setting

# What PBT and PB2 may change in a running trial: values its weights and optimisers do not depend on.
PERTURBABLE = ("lr_g", "lr_d", "beta1", "beta2", "d_steps", "ema_kimg", "label_smoothing")


@dataclass(frozen=True)
class SearchSettings:
    """The search's own settings (``search:``), beside each trial's :class:`Budget` (``budget:``)."""

    grace_kimg: float = setting(64.0, low=0, above=True)  # what every trial gets before ASHA may stop it
    reduction_factor: int = setting(3, low=2)  # ASHA keeps the best 1/reduction_factor at each rung
    final_kimg: float = setting(0.0, low=0)  # the best trial trains on until this many kimg in all (0: no final run)
    final_share: float = setting(0.5, low=0, high=0.9)  # with a time budget: the share of it for the final run

    @classmethod
    def from_dict(cls, values: dict, budget: Budget, source: str = "search") -> "SearchSettings":
        """Validate user values against each field and against the trials' ``budget``."""
        search = build(cls, values, source)
        if search.grace_kimg > budget.max_kimg:
            raise RayganError(f"{source}: grace_kimg ({search.grace_kimg}) must not exceed the budget's max_kimg "
                              f"({budget.max_kimg})", ("grace_kimg", "max_kimg"))
        if search.final_kimg and search.final_kimg <= budget.max_kimg:
            raise RayganError(f"{source}: final_kimg ({search.final_kimg}) must be 0 (no final run) or above "
                              f"max_kimg ({budget.max_kimg}): the final run continues the best trial",
                              ("final_kimg", "max_kimg"))
        return search

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class SearchSpace:
    source: str
    model: str = "gan"
    dataset: str = "mnist"
    metric: str = "fid"
    mode: str = "min"
    scheduler: str = "asha"
    budget: Budget = field(default_factory=Budget)
    search: SearchSettings = field(default_factory=SearchSettings)
    collapse: CollapseRules = field(default_factory=CollapseRules)
    fixed: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    data_dir: str | None = None  # an image folder the file names (``dataset: PATH``)
    image_size: int | None = None  # image folders: the size and channels to read them at (None: the images')
    channels: int | None = None
    start_with: tuple = ()  # points Optuna evaluates first: dicts of searched values
    constraints: tuple = ()  # raygan.constraints.Constraint: what a report must meet to rank before the rest

    @property
    def ranked(self) -> str:
        """The report key the search ranks reports and trials by: the metric, or with constraints
        ``<metric>_ranked`` (:mod:`raygan.constraints`)."""
        return ranked_key(self.metric, self.constraints)

    def with_source(self, source) -> "SearchSpace":
        """This space on ``source``'s data (:func:`raygan.data.resolve_source`: what ``--data-dir`` holds,
        or ``--dataset``), which its trials' configs and its export name."""
        return dataclasses.replace(self, dataset=source.dataset,
                                   data_dir=str(source.folder) if source.kind == FOLDER else None)

    def base_config(self) -> dict:
        return {"model": self.model, "dataset": self.dataset, **self.fixed}

    def tune_space(self) -> dict:
        """Ray Tune's ``param_space``: the searched values as distributions.

        Fixed values reach trials with the rest of :meth:`base_config`, not through Tune,
        so Optuna only sees what it searches.
        """
        return {name: p.to_tune() for name, p in self.params.items()}

    def mutations(self) -> dict:
        """The searched values PBT and PB2 perturb (see :data:`PERTURBABLE`): Tune distributions, and
        lists for choices (which PBT moves to a neighbouring value instead of scaling)."""
        return {name: list(p.values) if p.dist == "choice" else p.to_tune()
                for name, p in self.params.items() if name in PERTURBABLE}

    def clip(self, config: dict) -> dict:
        """``config`` with each perturbed value brought back into its range.

        PBT multiplies a value by 0.8 or 1.2 and would push e.g. ``beta2`` 0.999 past 1; the
        space's bounds are the ones every value was validated against.
        """
        out = dict(config)
        for name in self.mutations():
            param = self.params[name]
            if param.dist != "choice" and name in out:
                out[name] = type(out[name])(min(max(out[name], param.low), param.high))
        return out

    def to_dict(self) -> dict:
        shape = {key: getattr(self, key) for key in ("image_size", "channels") if getattr(self, key)}
        return {"model": self.model, "dataset": self.data_dir or self.dataset, **shape, "metric": self.metric,
                "mode": self.mode,
                "scheduler": self.scheduler,
                "budget": self.budget.to_dict(), "search": self.search.to_dict(),
                "collapse": self.collapse.to_dict(),
                "fixed": self.fixed, "params": {n: p.to_dict() for n, p in self.params.items()},
                **({"start_with": [dict(point) for point in self.start_with]} if self.start_with else {}),
                **({"constraints": {c.metric: c.text for c in self.constraints}} if self.constraints else {})}
