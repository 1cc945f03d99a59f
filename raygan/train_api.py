"""``raygan.train(...)``: one GAN training run from Python, as ``python -m raygan.train`` runs it.

In a notebook cell::

    import raygan
    run = raygan.train("dcgan", data_dir="data/mnist", max_kimg=64, out="runs/dcgan", config={"lr_g": 1e-4})
    run.metrics["fid"]                          # the final metric record
    raygan.load_generator(run.best_generator).sample(16)

The run's options are resolved and checked (against the saved ones for ``resume=True``)
before any work, with the command line's checks: a mistake is a one-line
:class:`~raygan.errors.RayganError` naming the argument (the command words it as its flag).
The run itself is :func:`raygan.folder_run.train_run`'s, in the output folder it describes.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from raygan import arguments
from raygan.budget import UNTIL_DEADLINE_KIMG, Budget, kimg_of_steps
from raygan.config import GANConfig
from raygan.data import check_data_options, open_source, resolve_dataset
from raygan.devices import pick_device
from raygan.errors import RayganError
from raygan.folder_run import prepare_folder, reached_kimg, read_options, train_run, write_options
from raygan.layout import BEST_GENERATOR, CURVES, FINAL_GENERATOR, METRICS_FILE
from raygan.records import read_jsonl
from raygan.version import __version__

_SUMMARY_KEYS = ("steps", "kimg", "collapsed", "collapse_reason")  # train_run's summary beside the metric record


@dataclass(repr=False)
class TrainResult:
    """A finished (or stopped) run: where it is, how far it trained, its final metrics and its reports."""

    out: Path  # the run's folder (raygan.folder_run describes what it holds)
    config: GANConfig
    budget: Budget
    steps: int
    kimg: float
    collapsed: bool
    collapse_reason: str
    metrics: dict  # the final metric record, on final_num samples ({} with final_num 0)
    reports: list[dict]  # every report, as metrics.jsonl holds them

    @property
    def generator(self) -> Path:
        """The last generator, with the final metric record."""
        return self.out / FINAL_GENERATOR

    @property
    def best_generator(self) -> Path | None:
        """The best generator: of the best few reports and the last generator, the one with the best tracked metric
        on ``final_num`` samples (``metrics["best_choice"]`` says what was compared; :mod:`raygan.candidates`), or
        the best report's by its quick value when there is no final record; None when no report measured it."""
        path = self.out / BEST_GENERATOR
        return path if path.is_file() else None

    @property
    def curves(self) -> Path:
        """The plot of the losses, D's accuracy and the tracked metric."""
        return self.out / CURVES

    def curve(self, key: str = "fid") -> list[tuple[float, float]]:
        """``(kimg, value)`` of ``key`` (any report key: ``fid``, ``d_acc``, ``loss_g``) at every report that has it."""
        return [(report["kimg"], report[key]) for report in self.reports if report.get(key) is not None]

    def to_record(self) -> dict:
        """The run as one JSON object: its folder, steps, kimg, collapse, and the final metric record."""
        return {"out": str(self.out), "steps": self.steps, "kimg": self.kimg, "collapsed": self.collapsed,
                "collapse_reason": self.collapse_reason, **self.metrics}

    def __repr__(self) -> str:
        shown = f", fid {self.metrics['fid']:.4g}" if "fid" in self.metrics else ""
        stop = f", collapsed: {self.collapse_reason}" if self.collapsed else ""
        return (f"TrainResult({self.config.model} on {self.config.dataset}: {self.steps} steps, {self.kimg:g} kimg"
                f"{shown}{stop}, out {self.out})")


def train(model: str | None = None, *, dataset: str | None = None, data_dir=None, download: bool = False,
          image_size: int | None = None, channels: int | None = None, max_kimg: float | None = None,
          steps: int | None = None, report_kimg: float | None = None, report_every: int | None = None,
          time_budget=None, checkpoint_every: int | None = None, quick_num: int | None = None,
          final_num: int | None = None, out=None, resume: bool = False, overwrite: bool = False,
          config: dict | None = None, seed: int | None = None, device: str | None = None) -> TrainResult:
    """Train one GAN: the options of ``python -m raygan.train`` (see its help), ``config`` for its ``--set``.

    ``model``: one of :data:`raygan.MODELS` (default gan).  ``max_kimg``, or ``steps``: the run's
    length; ``report_kimg``, or ``report_every`` (steps): between reports.  ``time_budget``
    (``"15m"``, ``"2h"`` or seconds) stops the run, checkpointed, at its last report before then;
    alone, it sets the length.  ``config``: any :class:`~raygan.config.GANConfig` values
    (``{"lr_g": 1e-4, "g_hidden": (256, 512)}``).  ``out``: the run's folder (default
    ``runs/MODEL-DATASET-TIME``); ``resume=True`` continues the run in it, ``overwrite=True``
    replaces it.  In a terminal or a notebook, a progress bar runs below the report lines.
    """
    time_budget = None if time_budget is None else arguments.duration(time_budget, "time_budget")
    given = {key: value for key, value in locals().items() if key not in ("download", "out", "resume", "overwrite")}
    if resume and overwrite:
        raise RayganError("resume=True and overwrite=True contradict each other; pass one", ("resume", "overwrite"))
    if resume and out is None:
        raise RayganError("resume=True needs out, the folder of the run to continue", ("resume", "out"))
    out = Path(out) if out is not None else None
    options, gan_config, budget = resolve_options(given, read_options(out) if resume else None)
    # missing data fails before any work; the default place is downloaded into when online
    source = open_source(gan_config.dataset, options["data_dir"] if resume else data_dir, download,
                         options.get("image_size"), options.get("channels"))
    options["data_dir"] = str(source.folder.resolve())
    out = out or Path(f"runs/{gan_config.model}-{source.name}-{time.strftime('%Y%m%d-%H%M%S')}")
    # a run ends on the first step at or past its length: it may be up to one step past it
    step = kimg_of_steps(1, gan_config.batch_size, gan_config.d_steps)
    if resume and reached_kimg(out) - budget.max_kimg >= step:
        raise RayganError(f"the run's length ({budget.max_kimg:g} kimg) is below what the run in {out} has "
                          f"reached ({reached_kimg(out):g} kimg); pass a larger max_kimg or steps, or none",
                          ("max_kimg", "steps"))
    device = pick_device(options["device"])
    if not resume:
        prepare_folder(out, overwrite=overwrite)
    write_options(out, options)
    summary = train_run(gan_config, budget, source, out, device=device, time_budget=time_budget)
    return TrainResult(out, gan_config, budget, **{key: summary[key] for key in _SUMMARY_KEYS},
                       metrics={key: value for key, value in summary.items() if key not in _SUMMARY_KEYS},
                       reports=read_jsonl(out / METRICS_FILE))


def resolve_options(given: dict, saved: dict | None) -> tuple[dict, GANConfig, Budget]:
    """The run's options (and its config and budget): from ``given`` (:func:`train`'s arguments; a missing one is
    None) for a new run; the saved ones, checked against ``given``, for a resumed one."""
    config_values, budget_values = _given(given)
    if saved is None:
        config = GANConfig.from_dict({"model": "gan", "dataset": "mnist", **config_values}, source="arguments")
        check_data_options(config.dataset, given.get("image_size"), given.get("channels"))
        budget_values = _in_kimg(given, budget_values, config)
        if given.get("time_budget") is not None and "max_kimg" not in budget_values:
            budget_values["max_kimg"] = UNTIL_DEADLINE_KIMG  # the clock alone ends the run
        budget = Budget.from_dict(budget_values, source="arguments")
        return {"raygan_version": __version__, "config": config.to_dict(), "budget": budget.to_dict(),
                "data_dir": given.get("data_dir"),  # None: the default place; train() records the folder found
                "image_size": given.get("image_size"), "channels": given.get("channels"),
                "device": given.get("device") or "auto"}, config, budget
    saved_config = GANConfig.from_saved(saved["config"]).to_dict()  # defaults for keys added since, none of no effect
    config = GANConfig.from_dict({**saved_config, **config_values}, source="arguments")
    budget = Budget.from_dict({**saved["budget"], **_in_kimg(given, budget_values, config)}, source="arguments")
    data_options = {key: given[key] for key in ("image_size", "channels") if given.get(key) is not None}
    for what, new, old in (("config", config.to_dict(), saved_config), ("budget", budget.to_dict(), saved["budget"]),
                           ("data option", data_options, saved)):
        for key in new:
            if new[key] != old.get(key) and key != "max_kimg":
                raise RayganError(f"resume=True continues the run with its saved options, but {what} {key} differs "
                                  f"(saved {old.get(key)!r}, given {new[key]!r}); drop that argument, or start a "
                                  "new run with overwrite=True or another out", ("resume", "overwrite", "out"))
    data_dir = given.get("data_dir") or saved["data_dir"]
    return {**saved, "budget": budget.to_dict(), "data_dir": str(Path(data_dir).expanduser().resolve()),
            "device": given.get("device") or saved["device"]}, config, budget


def _given(given: dict) -> tuple[dict, dict]:
    """The config values and budget values (``steps`` and ``report_every`` not yet converted) ``given`` sets."""
    config = {key: given[key] for key in ("model", "dataset", "seed") if given.get(key) is not None}
    config.update(given.get("config") or {})
    dataset = resolve_dataset(None, given.get("data_dir"), config.get("dataset"))  # the files' own, or an error
    if dataset is not None:
        config["dataset"] = dataset
    budget = {key: given[key] for key in Budget.__dataclass_fields__ if given.get(key) is not None}
    return config, budget


def _in_kimg(given: dict, budget_values: dict, config: GANConfig) -> dict:
    """``budget_values`` with ``steps`` and ``report_every`` converted to kimg at ``config``'s batch size."""
    values = dict(budget_values)
    for name, key in (("steps", "max_kimg"), ("report_every", "report_kimg")):
        if given.get(name) is not None:
            if key in values:
                raise RayganError(f"{name} and {key} set the same thing; pass one", (name, key))
            steps = arguments.whole_number(given[name], name, minimum=1)
            values[key] = kimg_of_steps(steps, config.batch_size, config.d_steps)
    return values
