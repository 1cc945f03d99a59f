"""Search-space files (``search_spaces/*.yaml``): load, validate, turn into Ray Tune's space.

The format (every top-level key but ``params`` is optional)::

    model: gan                  # any raygan model
    dataset: mnist              # mnist, fashion_mnist, or a folder of images (a path, relative to this file)
    image_size: 32              # image folders only: 28, 32 or 64 (default: the images')
    channels: 3                 # image folders only: 1 or 3 (default: the images')
    metric: fid                 # what the searcher and scheduler optimise: a per-report metric
    mode: min
    scheduler: asha             # asha (Optuna's TPE picks trials) | pbt | pb2 (a population, no searcher)
    budget:                     # a run's budget (raygan.budget.Budget) plus the search's own settings
      max_kimg: 192             # thousands of real images per trial (3,000 steps at batch 64)
      report_kimg: 16           # between reports (ASHA rungs, collapse checks; PBT's interval is
                                #   report_kimg * checkpoint_every)
      checkpoint_every: 1       # reports between checkpoints
      quick_num: 2000           # samples for the per-report metrics
      final_num: 10000          # samples for the exported generator's metrics
      grace_kimg: 64            # what every trial gets before ASHA may stop it
      reduction_factor: 3       # ASHA keeps the best 1/reduction_factor at each rung
      final_kimg: 0             # the best trial then trains on to this many kimg in all (0: no final run)
      final_share: 0.5          # with --time-budget: the share of it the final run gets
    collapse: {d_acc_max: 0.99, min_classes: 2, min_diversity: 0.25, patience: 3, warmup_kimg: 32}
    fixed:                      # config values shared by every trial
      g_norm: batch
    params:                     # one distribution per searched config value
      lr_g: {dist: loguniform, low: 1.0e-5, high: 3.0e-3}
      beta1: {dist: uniform, low: 0.0, high: 0.9}
      d_dropout: {dist: quniform, low: 0.0, high: 0.5, q: 0.1}
      latent_dim: {dist: int, low: 16, high: 256, log: true}   # both ends included
      batch_size: {dist: choice, values: [32, 64, 128]}
    start_with:                 # asha only: configurations Optuna tries first (a measured winner),
      - {lr_g: 2.0e-4, beta1: 0.5}  #   each a value in range for some of params; the rest are sampled

Every value is checked before any trial starts, against the same validation as
``--set``: each range's ends and each choice must make a valid config.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from raygan.budget import Budget
from raygan.collapse import CollapseRules
from raygan.config import GANConfig
from raygan.data import DATASETS, FOLDER, check_data_options
from raygan.errors import RayganError

DISTRIBUTIONS = {  # name -> the keys it takes besides "dist"
    "loguniform": ("low", "high"),
    "uniform": ("low", "high"),
    "quniform": ("low", "high", "q"),
    "int": ("low", "high", "log"),
    "choice": ("values",),
}
MODES = ("min", "max")
SCHEDULERS = ("asha", "pbt", "pb2")
TOP_LEVEL = ("model", "dataset", "image_size", "channels", "metric", "mode", "scheduler", "budget", "collapse",
             "fixed", "params", "start_with")
# What PBT and PB2 may change in a running trial: values its weights and optimisers do not depend on.
PERTURBABLE = ("lr_g", "lr_d", "beta1", "beta2", "d_steps", "g_ema", "label_smoothing")


SEARCH_QUICK_MIN = 100  # per-report samples the search metric needs to be worth optimising


@dataclass(frozen=True)
class SearchSettings:
    """The search's own budget keys (the rest of ``budget:`` is each trial's :class:`Budget`)."""

    grace_kimg: float = 64.0  # what every trial gets before ASHA may stop it
    reduction_factor: int = 3  # ASHA keeps the best 1/reduction_factor at each rung
    final_kimg: float = 0.0  # the best trial trains on until this many kimg in all (0: no final run)
    final_share: float = 0.5  # with a time budget: the share of it for the best trial's final run


@dataclass(frozen=True)
class Param:
    dist: str
    low: float | None = None
    high: float | None = None
    q: float | None = None
    log: bool = False
    values: tuple = ()

    def to_tune(self):
        from ray import tune

        if self.dist == "loguniform":
            return tune.loguniform(self.low, self.high)
        if self.dist == "uniform":
            return tune.uniform(self.low, self.high)
        if self.dist == "quniform":
            return tune.quniform(self.low, self.high, self.q)
        if self.dist == "int":  # Tune's upper bound is exclusive; ours is inclusive
            return (tune.lograndint if self.log else tune.randint)(int(self.low), int(self.high) + 1)
        return tune.choice(list(self.values))

    def to_dict(self) -> dict:
        """The form a space file gives it: ``dist`` and the keys that distribution takes."""
        return {"dist": self.dist, **{key: list(getattr(self, key)) if key == "values" else getattr(self, key)
                                      for key in DISTRIBUTIONS[self.dist]}}

    def admit(self, value, where: str, name: str):
        """``value`` as this distribution would produce it (an int for ``int``); a one-line error if it cannot."""
        if self.dist == "choice":
            if value not in self.values:
                raise RayganError(f"{where}: {value!r} is not one of {list(self.values)}")
            return value
        number = _number(value, where)
        if not self.low <= number <= self.high:
            raise RayganError(f"{where}: {value!r} is outside params.{name} ({self.low} to {self.high}); "
                              "widen the range or change the value")
        if self.dist == "int" and not number.is_integer():
            raise RayganError(f"{where}: {value!r} is not a whole number, as params.{name} (int) needs")
        return int(number) if self.dist == "int" else number

    def extremes(self) -> list:
        """The values that bound what this distribution can produce."""
        return list(self.values) if self.dist == "choice" else [self.low, self.high]


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

    def with_folder(self, data_dir) -> "SearchSpace":
        """This space on the image folder ``data_dir`` (what ``--data-dir FOLDER`` of images means)."""
        check_data_options(FOLDER, self.image_size, self.channels)
        return dataclasses.replace(self, dataset=FOLDER, data_dir=str(data_dir))

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

        PBT multiplies a value by 0.8 or 1.2 and would push e.g. ``g_ema`` 0.999 past 1; the
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
                "budget": {**self.budget.to_dict(), **dataclasses.asdict(self.search)},
                "collapse": self.collapse.to_dict(),
                "fixed": self.fixed, "params": {n: p.to_dict() for n, p in self.params.items()},
                **({"start_with": [dict(point) for point in self.start_with]} if self.start_with else {})}


BUNDLED_PACKAGE = "raygan.search_spaces"  # the repository's search_spaces/, shipped inside the package


def bundled_spaces() -> dict:
    """The search spaces shipped with raygan, by name (``dcgan`` for ``dcgan.yaml``): readable files."""
    from importlib.resources import files

    spaces = {entry.name.removesuffix(".yaml"): entry for entry in files(BUNDLED_PACKAGE).iterdir()
              if entry.name.endswith(".yaml")}
    return dict(sorted(spaces.items()))


def describe(entry) -> str:
    """A space file's one-line description: the first sentence of its opening comment."""
    first = next((line for line in entry.read_text(encoding="utf-8").splitlines() if line.strip()), "")
    text = first.lstrip("#").strip()
    return text.split(". ")[0].split(": ")[0].rstrip(".")


def load_space(path) -> SearchSpace:
    """Read and validate a search-space file, or a bundled space by name (``dcgan``); every mistake
    is a one-line RayganError."""
    bundled = bundled_spaces()
    if not Path(path).exists() and str(path) in bundled:
        return _read_space(bundled[str(path)], f"{path} (bundled)")
    path = Path(path)
    names = ", ".join(bundled)
    if path.is_dir():
        raise RayganError(f"search space {path} is a folder; pass a YAML file or a bundled space ({names})")
    if not path.is_file():
        raise RayganError(f"search space {path} does not exist; pass a YAML file or a bundled space ({names}; "
                          "see --list-spaces)")
    return _read_space(path, str(path))


def _read_space(entry, source: str) -> SearchSpace:
    try:
        raw = yaml.safe_load(entry.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or "syntax error"
        raise RayganError(f"{source}: malformed YAML{where} ({problem}); fix the syntax") from None
    except UnicodeDecodeError:
        raise RayganError(f"{source} is not a text file; pass a YAML search space") from None
    return parse_space(raw, source)


def parse_space(raw, source: str) -> SearchSpace:
    if not isinstance(raw, dict):
        raise RayganError(f"{source}: expected a mapping of keys ({', '.join(TOP_LEVEL)}), got {_kind(raw)}")
    _no_unknown(raw, TOP_LEVEL, source)
    from raygan.metrics import quick_metrics

    top = {key: raw[key] for key in ("model", "dataset", "metric", "mode", "scheduler") if key in raw}
    for key, value in top.items():
        if not isinstance(value, str):
            raise RayganError(f"{source}: {key} must be a string, got {_kind(value)}")
    data_dir, dataset = _data_location(top.get("dataset", "mnist"), source)
    shape = {key: raw.get(key) for key in ("image_size", "channels")}
    try:
        check_data_options(dataset, **shape)
    except RayganError as err:
        raise RayganError(f"{source}: {err}") from None
    fixed = _mapping(raw.get("fixed"), f"{source}: fixed")
    base = GANConfig.from_dict({"model": top.get("model", "gan"), "dataset": dataset, **fixed},
                               source=f"{source}: fixed")
    metric, mode = top.get("metric", "fid"), top.get("mode", "min")
    allowed = quick_metrics(base.conditional)
    if metric not in allowed:
        raise RayganError(f"{source}: metric '{metric}' is not reported every step; choose one of {', '.join(allowed)}")
    if mode not in MODES:
        raise RayganError(f"{source}: mode must be min or max, got '{mode}'")
    scheduler = top.get("scheduler", "asha")
    if scheduler not in SCHEDULERS:
        raise RayganError(f"{source}: unknown scheduler '{scheduler}'; choose one of {', '.join(SCHEDULERS)}")
    params_raw = _mapping(raw.get("params"), f"{source}: params")
    if not params_raw:
        raise RayganError(f"{source}: params is empty; give at least one distribution (see search_spaces/gan.yaml)")
    params = {}
    for name, spec in params_raw.items():
        where = f"{source}: params.{name}"
        if name in fixed or name in ("model", "dataset"):
            raise RayganError(f"{where}: '{name}' is also fixed; search it or fix it, not both")
        params[name] = _param(spec, where)
        for value in params[name].extremes():
            GANConfig.from_dict({**base.to_dict(), name: value}, source=where)
    _check_loss_and_smoothing(params, base, source)
    start_with = _start_points(raw.get("start_with"), params, base, scheduler, f"{source}: start_with")
    budget, search = _budget(raw.get("budget"), f"{source}: budget")
    space = SearchSpace(source, base.model, base.dataset, metric, mode, scheduler, budget, search,
                        CollapseRules.from_dict(_mapping(raw.get("collapse"), f"{source}: collapse"),
                                                source=f"{source}: collapse"),
                        fixed, params, data_dir, **shape, start_with=start_with)
    if scheduler != "asha" and not space.mutations():
        raise RayganError(f"{source}: scheduler {scheduler} perturbs running trials but params has none of "
                          f"{', '.join(PERTURBABLE)}; search at least one of them (e.g. lr_g)")
    if scheduler == "pb2":
        bad = [n for n in space.mutations() if space.params[n].dist == "choice"]
        if bad:
            raise RayganError(f"{source}: params.{bad[0]}: pb2 models continuous ranges only; give it a "
                              "low/high distribution or use scheduler: pbt")
    return space


def _data_location(dataset: str, source: str) -> tuple[str | None, str]:
    """(image folder, dataset) of a space's ``dataset``: a known name, ``folder``, or a path to a folder
    of images (relative to the space file's folder)."""
    if dataset in DATASETS:
        return None, dataset
    path = Path(dataset).expanduser()
    if not path.is_absolute() and Path(source).is_file():
        path = Path(source).resolve().parent / path
    if not path.is_dir():
        raise RayganError(f"{source}: dataset '{dataset}' is neither {', '.join(DATASETS)} nor a folder of images "
                          f"({path} does not exist)")
    return str(path), FOLDER


def _check_loss_and_smoothing(params: dict, base: GANConfig, source: str) -> None:
    """Label smoothing is for the ns loss only; each range alone cannot show a space that pairs them."""
    losses = set(params["loss"].values) if "loss" in params else {base.loss}
    if ("label_smoothing" in params or base.label_smoothing > 0) and losses - {"ns"}:
        raise RayganError(f"{source}: label_smoothing applies to loss ns only, but trials may use loss "
                          f"{sorted(losses - {'ns'})[0]}; search or fix one of them, not both")


def _start_points(raw, params: dict, base: GANConfig, scheduler: str, where: str) -> tuple:
    """``start_with``: configurations Optuna evaluates before it samples, each checked against ``params``.

    A measured winner given here is the search's first trial, so a short budget does not
    depend on TPE's random start finding it again.
    """
    if raw is None:
        return ()
    if scheduler != "asha":
        raise RayganError(f"{where}: start_with seeds Optuna, and scheduler {scheduler} runs without it; "
                          "drop start_with or use scheduler: asha")
    if not isinstance(raw, list) or not raw:
        raise RayganError(f"{where} must be a non-empty list of mappings, e.g. [{{lr_g: 2.0e-4, beta1: 0.5}}]")
    points = []
    for i, point in enumerate(raw):
        at = f"{where}[{i}]"
        point = dict(_mapping(point, at))
        _no_unknown(point, params, f"{at} (only searched keys)")
        point = {name: params[name].admit(value, f"{at}.{name}", name) for name, value in point.items()}
        GANConfig.from_dict({**base.to_dict(), **point}, source=at)
        points.append(point)
    return tuple(points)


def _param(spec, where: str) -> Param:
    if not isinstance(spec, dict) or "dist" not in spec:
        raise RayganError(f"{where}: expected a mapping with 'dist' (one of {', '.join(DISTRIBUTIONS)}), "
                          f"e.g. {{dist: loguniform, low: 1.0e-5, high: 1.0e-3}}")
    dist = spec["dist"]
    if dist not in DISTRIBUTIONS:
        raise RayganError(f"{where}: unknown dist '{dist}'; choose one of {', '.join(DISTRIBUTIONS)}")
    keys = DISTRIBUTIONS[dist]
    _no_unknown({k: v for k, v in spec.items() if k != "dist"}, keys, where)
    if dist == "choice":
        values = spec.get("values")
        if not isinstance(values, list) or not values:
            raise RayganError(f"{where}: choice needs a non-empty list 'values', e.g. values: [32, 64, 128]")
        return Param(dist, values=tuple(tuple(v) if isinstance(v, list) else v for v in values))
    for key in ("low", "high") + (("q",) if dist == "quniform" else ()):
        if key not in spec:
            raise RayganError(f"{where}: {dist} needs '{key}'")
    low, high = _number(spec["low"], f"{where}.low"), _number(spec["high"], f"{where}.high")
    if low >= high:
        raise RayganError(f"{where}: low ({low}) must be below high ({high}); swap or widen them")
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise RayganError(f"{where}.log must be true or false, got {log!r}")
    if (dist == "loguniform" or log) and low <= 0:
        raise RayganError(f"{where}: a log-scale range needs low > 0, got {low}; use e.g. low: 1.0e-5")
    q = _number(spec["q"], f"{where}.q") if dist == "quniform" else None
    if q is not None and (q <= 0 or q > high - low):
        raise RayganError(f"{where}: q must be in (0, high - low], got {q}")
    if dist == "int" and not (float(low).is_integer() and float(high).is_integer()):
        raise RayganError(f"{where}: int needs whole-number low and high, got {low} and {high}")
    return Param(dist, low=low, high=high, q=q, log=log)


def _budget(raw, where: str) -> tuple[Budget, SearchSettings]:
    values = dict(_mapping(raw, where))
    search_keys = [f.name for f in dataclasses.fields(SearchSettings)]
    _no_unknown(values, [*Budget.__dataclass_fields__, *search_keys], where)
    search_values = {key: values.pop(key) for key in search_keys if key in values}
    for key, value in search_values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                key == "reduction_factor" and not isinstance(value, int)):
            raise RayganError(f"{where}.{key} must be a {'whole ' if key == 'reduction_factor' else ''}number, "
                              f"got {value!r}")
    budget = Budget.from_dict(values, source=where)
    search = SearchSettings(**search_values)
    if not 0 < search.grace_kimg <= budget.max_kimg:
        raise RayganError(f"{where}: grace_kimg must be above 0 and at most max_kimg ({budget.max_kimg}), "
                          f"got {search.grace_kimg}")
    if search.reduction_factor < 2:
        raise RayganError(f"{where}.reduction_factor must be at least 2, got {search.reduction_factor}")
    if search.final_kimg and search.final_kimg <= budget.max_kimg:
        raise RayganError(f"{where}: final_kimg ({search.final_kimg}) must be 0 (no final run) or above "
                          f"max_kimg ({budget.max_kimg}): the final run continues the best trial")
    if not 0 <= search.final_share <= 0.9:
        raise RayganError(f"{where}.final_share must be between 0 and 0.9, got {search.final_share}")
    if budget.quick_num < SEARCH_QUICK_MIN:
        raise RayganError(f"{where}.quick_num must be at least {SEARCH_QUICK_MIN} samples (the search metric "
                          f"needs them), got {budget.quick_num}")
    return budget, search


def _number(value, where: str) -> float:
    """A float, also from strings: YAML 1.1 reads ``1e-5`` (no dot) as a string."""
    if isinstance(value, bool):
        raise RayganError(f"{where} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise RayganError(f"{where} must be a number, got {value!r}") from None


def _mapping(raw, where: str) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise RayganError(f"{where} must be a mapping (key: value lines), got {_kind(raw)}")
    return raw


def _no_unknown(raw: dict, allowed, where: str) -> None:
    for key in raw:
        if key not in allowed:
            raise RayganError(f"{where}: unknown key '{key}'; valid keys are {', '.join(allowed)}")


def _kind(value) -> str:
    return f"{type(value).__name__} {value!r}"[:60]
