"""A space's mapping (a YAML file's, or ``search.json``'s and an export header's copy) checked into a
:class:`~raygan.space.search_space.SearchSpace`, each mistake a one-line RayganError naming file and key."""
from __future__ import annotations

import itertools
import logging
from pathlib import Path

from raygan.budget import Budget
from raygan.collapse import CollapseRules
from raygan.config import GANConfig
from raygan.constraints import Constraint
from raygan.data import DATASETS, FOLDER, check_data_options
from raygan.errors import RayganError
from raygan.models import MODELS, conditioning, is_conditional
from raygan.recipes import recipe_values
from raygan.schema import check_keys, coerce
from raygan.space.params import parse_param
from raygan.space.search_space import PERTURBABLE, SearchSettings, SearchSpace

MODES = ("min", "max")
SCHEDULERS = ("asha", "pbt", "pb2")
TOP_LEVEL = ("model", "dataset", "image_size", "channels", "metric", "mode", "scheduler", "budget", "search",
             "collapse", "fixed", "params", "start_with", "constraints")
SEARCH_QUICK_MIN = 100  # per-report samples the search metric needs to be worth optimising


def parse_space(raw, source: str) -> SearchSpace:
    if not isinstance(raw, dict):
        raise RayganError(f"{source}: expected a mapping of keys ({', '.join(TOP_LEVEL)}), got {_kind(raw)}")
    check_keys(raw, TOP_LEVEL, source)
    from raygan.metrics import searchable_metrics

    top = {key: coerce(raw[key], str, f"{source}: {key}", key)
           for key in ("model", "dataset", "metric", "mode", "scheduler") if key in raw}
    data_dir, dataset = _data_location(top.get("dataset", "mnist"), source)
    shape = {key: raw.get(key) for key in ("image_size", "channels")}
    try:
        check_data_options(dataset, **shape)
    except RayganError as err:
        raise RayganError(f"{source}: {err}") from None
    fixed = _mapping(raw.get("fixed"), f"{source}: fixed")
    params_raw = _mapping(raw.get("params"), f"{source}: params")
    model = top.get("model", "gan")
    # the model's recipe under the fixed values, giving way to the searched keys as to the fixed ones
    recipe = recipe_values(model, {**fixed, **params_raw})
    base = GANConfig.from_dict({**recipe, "model": model, "dataset": dataset, **fixed}, source=f"{source}: fixed",
                               recipe=False)
    metric, mode = top.get("metric", "fid"), top.get("mode", "min")
    allowed = searchable_metrics(base.conditional)
    if metric not in allowed:
        raise RayganError(f"{source}: metric '{metric}' is not a per-report metric a search can rank by; "
                          f"choose one of {', '.join(allowed)}")
    if mode not in MODES:
        raise RayganError(f"{source}: mode must be min or max, got '{mode}'")
    constraints = _constraints(raw.get("constraints"), base, f"{source}: constraints")
    scheduler = top.get("scheduler", "asha")
    if scheduler not in SCHEDULERS:
        raise RayganError(f"{source}: unknown scheduler '{scheduler}'; choose one of {', '.join(SCHEDULERS)}")
    if not params_raw:
        raise RayganError(f"{source}: params is empty; give at least one distribution (see search_spaces/gan.yaml)")
    params = {}
    for name, spec in params_raw.items():
        where = f"{source}: params.{name}"
        if name in fixed or name in ("model", "dataset"):
            raise RayganError(f"{where}: '{name}' is also fixed; search it or fix it, not both")
        params[name] = parse_param(spec, where)
        for value in params[name].extremes():
            GANConfig.from_dict({**base.to_dict(), name: value}, source=where)
    _check_loss_and_smoothing(params, base, source)
    _check_conditioning_pairs(params, base, source)
    start_with = _start_points(raw.get("start_with"), params, base, scheduler, f"{source}: start_with")
    budget, search = _budget_and_search(raw, source)
    space = SearchSpace(source, base.model, base.dataset, metric, mode, scheduler, budget, search,
                        CollapseRules.from_dict(_mapping(raw.get("collapse"), f"{source}: collapse"),
                                                source=f"{source}: collapse"),
                        fixed, params, data_dir, **shape, start_with=start_with, constraints=constraints)
    if scheduler != "asha" and not space.mutations():
        raise RayganError(f"{source}: scheduler {scheduler} perturbs running trials but params has none of "
                          f"{', '.join(PERTURBABLE)}; search at least one of them (e.g. lr_g)")
    if scheduler == "pb2":
        bad = [n for n in space.mutations() if space.params[n].dist == "choice"]
        if bad:
            raise RayganError(f"{source}: params.{bad[0]}: pb2 models continuous ranges only; give it a "
                              "low/high distribution or use scheduler: pbt")
        if constraints:  # PB2 fits a Gaussian process to the ranked value's changes, which jump by 2e9 at a bound
            raise RayganError(f"{source}: constraints: pb2 models the metric's progress as a smooth function, which "
                              "a constraint's jump breaks; use scheduler: pbt or asha, or drop constraints",
                              "constraints")
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


def _check_conditioning_pairs(params: dict, base: GANConfig, source: str) -> None:
    """Every pairing of the searched conditioning values (and g_norm, which cbn needs) is a valid config: a
    space that could draw ``label_embedding`` 16 with neither net concatenating would fail trials instead."""
    names = [name for name in (*conditioning.KEYS, "g_norm") if name in params]
    if len(names) < 2:
        return  # each value alone was checked against the fixed ones
    for values in itertools.product(*(params[name].extremes() for name in names)):
        pairing = dict(zip(names, values))
        try:
            GANConfig.from_dict({**base.to_dict(), **pairing}, source="trial")
        except RayganError as err:
            drawn = ", ".join(f"{name} {value}" for name, value in pairing.items())
            raise RayganError(f"{source}: params may draw {drawn} together, which is no valid config "
                              f"({str(err).removeprefix('trial: ')}); search fewer of them or narrow their "
                              "values", names) from None


def _constraints(raw, base: GANConfig, where: str) -> tuple:
    """``constraints``: per-report metrics each kept on one side of a bound, ``{label_acc: ">= 0.95"}``.

    Each must be a metric every report of ``base``'s model holds, with a bound that some value of it can meet.
    """
    from raygan.metrics import searchable_metrics
    from raygan.metrics.registry import LIMITS

    allowed = searchable_metrics(base.conditional)
    if raw is not None and not isinstance(raw, dict):
        raise RayganError(f"{where} must be a mapping of metrics to bounds, e.g. {{label_acc: \">= 0.95\"}}; "
                          f"got {_kind(raw)}", "constraints")
    constraints = []
    for metric, text in (raw or {}).items():
        at = f"{where}.{metric}"
        if metric in searchable_metrics(True) and metric not in allowed:
            conditional = ", ".join(m for m in MODELS if is_conditional(m))
            raise RayganError(f"{at}: {metric} is measured for conditional models only ({conditional}), not "
                              f"{base.model}; drop the constraint or search a conditional model", "constraints")
        if metric not in allowed:
            raise RayganError(f"{at}: '{metric}' is not reported every report; constrain one of "
                              f"{', '.join(allowed)}", "constraints")
        constraint = Constraint.parse(metric, text, at)
        low, high = LIMITS[metric]
        if (constraint.op == ">=" and high is not None and constraint.bound > high) or (
                constraint.op == "<=" and constraint.bound < low):
            edge = f"at most {high:g}" if constraint.op == ">=" else f"at least {low:g}"
            raise RayganError(f"{at}: '{constraint.text}' can never be met ({metric} is {edge}); "
                              f"{'lower' if constraint.op == '>=' else 'raise'} the bound", "constraints")
        constraints.append(constraint)
    return tuple(constraints)


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
        check_keys(point, params, f"{at} (only searched keys)")
        point = {name: params[name].admit(value, f"{at}.{name}", name) for name, value in point.items()}
        GANConfig.from_dict({**base.to_dict(), **point}, source=at)
        points.append(point)
    return tuple(points)


def _budget_and_search(raw: dict, source: str) -> tuple[Budget, SearchSettings]:
    """``budget:`` (each trial's) and ``search:`` (the search's own settings).

    The search's settings were once read from ``budget:``; a file that still gives them there
    works, with one warning line (logged: without logging set up, Python prints the line alone on stderr).
    """
    budget_raw = dict(_mapping(raw.get("budget"), f"{source}: budget"))
    search_raw = _mapping(raw.get("search"), f"{source}: search")
    moved = {key: budget_raw.pop(key) for key in SearchSettings.__dataclass_fields__ if key in budget_raw}
    twice = [key for key in moved if key in search_raw]
    if twice:
        raise RayganError(f"{source}: {twice[0]} is given in both budget: and search:; keep the one in search:",
                          twice[0])
    if moved:
        logging.getLogger(__name__).warning(
            f"warning: {source}: move {', '.join(moved)} from budget: to a search: section, where the search's own "
            "settings now go (budget: still reads them, for now)")
    budget = Budget.from_dict(budget_raw, source=f"{source}: budget")
    if budget.quick_num < SEARCH_QUICK_MIN:
        raise RayganError(f"{source}: budget: quick_num must be at least {SEARCH_QUICK_MIN} samples (the search "
                          f"metric needs them), got {budget.quick_num}", "quick_num")
    return budget, SearchSettings.from_dict({**search_raw, **moved}, budget, source=f"{source}: search")


def _mapping(raw, where: str) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise RayganError(f"{where} must be a mapping (key: value lines), got {_kind(raw)}")
    return raw


def _kind(value) -> str:
    return f"{type(value).__name__} {value!r}"[:60]
