"""``raygan.search(...)``: a whole search from Python, as ``python -m raygan.search`` runs it.

In a notebook cell::

    import raygan
    result = raygan.search(space="gan", data_dir="data/mnist", time_budget="15m", export="best.safetensors")
    result                          # the best trial, its value, the export and the experiment folder
    result.best_config              # the best trial's hyper-parameters
    print(result.summary())         # the table and lines python -m raygan.search prints at its end

Every argument is checked before Ray starts, with the command line's checks: a mistake is a
one-line :class:`~raygan.errors.RayganError` naming the argument (the command words it as its
flag), never ``sys.exit``.  Ray is imported only once the search runs.  While it runs,
raygan's progress table shows in place of Ray's (``verbose=1``), redrawn in place in a
notebook (:mod:`raygan.progress`).
"""
from __future__ import annotations

import inspect
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from raygan import arguments
from raygan.atomic import check_writable
from raygan.errors import RayganError
from raygan.layout import CLOSEST_PAIRS
from raygan.metrics.copies import copy_warning
from raygan.records import is_finite_number
from raygan.space import SearchSpace, load_space
from raygan.space.default import DEFAULT_SPACE, default_space

if TYPE_CHECKING:
    from raygan.tuning.summary import Outcome

DEFAULT_TIME_BUDGET_S = 900.0  # with neither time_budget nor num_samples
VERBOSITY = (0, 1, 2)  # no progress table; raygan's; Ray's own output in full


@dataclass(repr=False)
class SearchResult:
    """What a search found and where it left it.

    The best trial is the summary's first row, chosen by the space's metric on the
    per-report samples (``quick_num``).  Without a final run its best generator is what ``export``
    wrote; after one, the best on ``final_num`` samples of the final run's candidates and the best
    generator of the trial it continued (``export_metrics["best_choice"]`` lists them), measured
    again in full on ``final_num`` samples (``export_metrics``).  ``grids`` are Ray Tune's own
    ``ResultGrid`` of each phase (the search, then the final run when there is one).
    """

    name: str
    report_path: Path  # report.html, beside summary.jsonl and the plots
    export_path: Path | None
    outcome: Outcome

    @property
    def space(self) -> SearchSpace:
        return self.outcome.space

    @property
    def experiment_dir(self) -> str:
        """Tune's records of the search: a folder, or a URI under an ``s3://`` storage path."""
        return self.outcome.experiment_dir

    @property
    def rows(self) -> list:
        """One :class:`~raygan.tuning.trial_row.TrialRow` per trial, best first (``row.to_record()``: as in
        summary.jsonl)."""
        return self.outcome.rows

    @property
    def best_trial(self) -> str | None:
        return self.outcome.best_trial

    @property
    def best_value(self) -> float | None:
        """The best trial's best value of the space's metric (on ``quick_num`` samples)."""
        return self.outcome.best_value

    @property
    def best_kimg(self) -> float | None:
        return self.outcome.best_kimg

    @property
    def best_config(self) -> dict | None:
        """The best trial's searched values."""
        return self._best_row.config if self._best_row else None

    @property
    def best_report(self) -> dict | None:
        """The best trial's report where it was best: every per-report metric, as Tune recorded it."""
        return self._best_row.best_report if self._best_row else None

    @property
    def best_generator(self) -> str | None:
        """The best trial's best generator file (G and its weight average at the best report; the export, unless a
        final run's candidate measured better: ``export_metrics["best_choice"]``) in the experiment's storage: a
        path, or a URI under an ``s3://`` storage path.  The trial's checkpoints (D and the optimisers too) are
        pruned once nothing can continue them (:mod:`raygan.tuning.pruning`)."""
        from raygan.layout import BEST_GENERATOR

        return f"{self._best_row.result.path}/{BEST_GENERATOR}" if self._best_row else None

    @property
    def export_metrics(self) -> dict | None:
        """The export's metric record, on ``final_num`` samples."""
        return self.outcome.export_metrics

    @property
    def export_error(self) -> str | None:
        """Why the export failed (the experiment is intact; the message says how to export it again)."""
        return self.outcome.export_error

    @property
    def grids(self) -> list:
        return self.outcome.grids

    @property
    def _best_row(self):
        return next((row for row in self.rows if row.trial == self.best_trial), None)

    def summary(self) -> str:
        """The table, the time spent per phase, resources, folders and the export, as the command prints them; under
        constraints, then what they are, and a last line when no trial met them."""
        job = self.outcome.job_line()
        lines = [self.outcome.table(), *self.outcome.budget_lines(), *([job] if job else []),
                 f"resources: {self.outcome.resources}",
                 f"experiment: {self.experiment_dir}", f"report: {self.report_path}"]
        if self.export_path and not self.export_error:
            metric, record = self.space.metric, self.export_metrics or {}
            choice = record.get("best_choice")  # after a final run: what the export was chosen from
            chosen = choice["rows"][0] if choice else {"trial": self.best_trial, "quick": self.best_value,
                                                       "kimg": self.best_kimg}
            quick = _number(chosen["quick"])
            measured = (f"; {metric} {record[metric]:.4g} on {record['num_samples']} samples "
                        f"({record['evaluator']})" if metric in record else "")
            lines.append(f"best generator: {self.export_path} (trial {chosen['trial']}, {metric} {quick} at "
                         f"{chosen['kimg']:g} kimg on {self.space.budget.quick_num} samples{measured})")
            if choice and len(choice["rows"]) > 1:
                others = ", ".join(f"{row['source']} {row['kimg']:g} kimg {_number(row.get('value', row['final']))}"
                                   for row in choice["rows"][1:])
                lines.append(f"  chosen on {choice['num_samples']:,} samples of the same noise over: {others}")
            copies = copy_warning(record, str(self.report_path.parent / CLOSEST_PAIRS))
            lines += [copies] if copies else []
        return "\n".join(lines + self.outcome.constraint_lines())

    def __repr__(self) -> str:
        best = (f"best trial {self.best_trial}: {self.space.metric} {self.best_value:.4g} at {self.best_kimg:g} kimg"
                if self.best_trial else "no trial measured")
        export = (f", export failed: {self.export_error}" if self.export_error else
                  f", export {self.export_path}" if self.export_path else "")
        return f"SearchResult({self.name}: {len(self.rows)} trial(s), {best}{export}, experiment {self.experiment_dir})"


def _number(value) -> str:
    return f"{value:.4g}" if is_finite_number(value) else "n/a"


def search(space: str | Path | SearchSpace | None = None, data_dir=None, *, dataset: str | None = None,
           time_budget=None, num_samples: int | None = None, max_concurrent: int | None = None,
           cpus_per_trial: float = 1.0,
           gpus_per_trial: float | None = None, address: str | None = None, storage_path="runs",
           name: str | None = None, resume: bool = False, export=None, seed: int = 0, study_db: str | None = None,
           mlflow_uri: str | None = None, cluster_config=None, max_failures: int = 2, download: bool = False,
           verbose: int = 1, command: str | None = None) -> SearchResult:
    """Tune a GAN's hyper-parameters with Ray Tune; the options of ``python -m raygan.search`` (see its help).

    ``space``: a bundled space's name, a YAML file or a :class:`~raygan.space.SearchSpace` (default
    ``dcgan``; for an image folder of under 10,000 training images ``small-cdcgan`` with class
    subfolders, else ``small``: :mod:`raygan.space.default`; the first line says which).
    ``data_dir``: the dataset's IDX files or a folder of images (default: the space's dataset
    in the default data folder; MNIST and Fashion-MNIST files are told apart by their content).
    ``dataset``: ``mnist``, ``fashion_mnist`` or ``folder`` instead of the space's (an error when it
    contradicts what ``data_dir`` holds).  ``time_budget``: the whole search's wall time, ``"15m"``,
    ``"2h"`` or seconds (default 15 minutes unless ``num_samples`` is given).  ``export``: a
    ``.safetensors`` file for the best generator.  ``command``: how ``report.html`` says the
    search was started (default: this call, written as Python).  The other arguments are as
    the command's flags.  Prints one line saying what it runs, then (``verbose=1``) raygan's
    progress table.
    """
    given = {key: value for key, value in locals().items() if key != "command"}
    started = time.time()  # the job's clock (its time split), from the call: data, Ray, phases, reports, export
    checked = {"num_samples": _unless_none(arguments.whole_number, num_samples, "num_samples", minimum=1),
               "max_concurrent": _unless_none(arguments.whole_number, max_concurrent, "max_concurrent", minimum=1),
               "cpus_per_trial": arguments.number(cpus_per_trial, "cpus_per_trial", inclusive=False),
               "gpus_per_trial": _unless_none(arguments.number, gpus_per_trial, "gpus_per_trial"),
               "seed": arguments.seed(seed, "seed"),
               "max_failures": arguments.whole_number(max_failures, "max_failures")}
    if verbose not in VERBOSITY:
        raise RayganError(f"verbose must be 0, 1 or 2, got {verbose!r}", "verbose")
    chosen = space if isinstance(space, SearchSpace) else load_space(space or DEFAULT_SPACE)  # mistakes before Ray
    if resume and not name:
        raise RayganError("resume=True needs name=NAME, the experiment to continue", ("resume", "name"))
    if resume and time_budget is not None:
        raise RayganError("time_budget cannot carry over to resume=True (its clock started with the first run); "
                          "resume without it: trials finish their max_kimg and the final run trains to final_kimg",
                          ("time_budget", "resume"))
    time_budget = None if time_budget is None else arguments.duration(time_budget, "time_budget")
    source, space = _source(chosen, data_dir, dataset, download)
    default, why = default_space(source) if given["space"] is None else (DEFAULT_SPACE, "")
    space = space if default == DEFAULT_SPACE else load_space(default).with_source(source)  # a small folder
    storage_path, export = str(storage_path), None if export is None else Path(export)
    _check_outputs(storage_path, export, study_db, cluster_config, mlflow_uri)
    name = name or f"{space.model}-{source.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    if time_budget is None and checked["num_samples"] is None and not resume:
        time_budget = DEFAULT_TIME_BUDGET_S

    from raygan.layout import REPORT_FILE
    from raygan.tuning import SearchOptions, run_search
    from raygan.tuning.location import report_dir
    from raygan.tuning.tuner import check_scheduler_options

    # num_samples None: a population as large as what runs at once (PBT, PB2), or as many as the time allows
    options = SearchOptions(**checked, time_budget_s=time_budget, address=address, storage_path=storage_path,
                            name=name, resume=resume, study_db=study_db, verbose=verbose, mlflow_uri=mlflow_uri,
                            cluster_config=None if cluster_config is None else str(cluster_config),
                            command=command or _as_call(given))
    check_scheduler_options(space, options)
    length = (f"time budget {time_budget / 60:g} min" if time_budget else
              f"{options.num_samples} trials" if options.num_samples else "resumed")
    chosen_because = f"; space: {why}" if why else ""
    print(f"raygan.search: space {space.source} ({space.model} on {source.name}, {space.scheduler}), "
          f"data {source.folder}, {length}, experiment {storage_path.rstrip('/')}/{name}{chosen_because}", flush=True)
    outcome = run_search(space, source, options, export=export)
    outcome.job_seconds = time.time() - started
    return SearchResult(name, report_dir(options) / REPORT_FILE, export, outcome)


def _unless_none(check, value, name: str, **limits):
    """``check`` of an argument whose None means "the default"."""
    return None if value is None else check(value, name, **limits)


def _source(space: SearchSpace, data_dir, dataset: str | None, download: bool):
    """The data's source, located now, and the space to search on it: the space's model on what ``data_dir``
    holds (images, MNIST or Fashion-MNIST files) or ``dataset`` names."""
    from raygan.data import resolve_source

    source = resolve_source(space.dataset, data_dir, dataset, space.data_dir, download, space.image_size,
                            space.channels)
    return source, space.with_source(source)


def _check_outputs(storage_path: str, export: Path | None, study_db, cluster_config, mlflow_uri) -> None:
    """Everything the search will write to or read from, checked before Ray starts."""
    from raygan.atomic import output_folder
    from raygan.tuning.autoscaler import explicit_config
    from raygan.tuning.location import is_remote

    if not is_remote(storage_path):
        output_folder(storage_path, "storage_path")
    if export is not None:
        check_writable(export)
    if study_db:
        check_study_db(study_db)
    explicit_config(cluster_config)  # a file named but missing or malformed
    if mlflow_uri:
        from raygan.tuning.mlflow_log import prepare_mlflow

        prepare_mlflow(mlflow_uri)


def check_study_db(url: str) -> None:
    """A database URL Optuna can open, and for SQLite a file it can create."""
    if "://" not in url:
        raise RayganError(f"study_db {url} is not a database URL; use e.g. sqlite:///study.db", "study_db")
    if url.startswith("sqlite:///"):
        check_writable(url.removeprefix("sqlite:///"))


def _as_call(given: dict) -> str:
    """The call ``raygan.search(...)`` with the arguments ``given`` that differ from the defaults, for report.html."""
    defaults = inspect.signature(search).parameters
    shown = [f"{key}={_shown(value)}" for key, value in given.items() if value != defaults[key].default]
    return f"raygan.search({', '.join(shown)})"


def _shown(value) -> str:
    if isinstance(value, SearchSpace):
        return f"<SearchSpace {value.source}>"
    return repr(str(value) if isinstance(value, Path) else value)
