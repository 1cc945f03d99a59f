"""The driver side of a search: Ray, the Tuner (Optuna + ASHA + collapse stopper), summary, export.

:func:`run_search` is what ``python -m raygan.search`` calls.  The trial side lives in
:mod:`raygan.trainable`; the collapse rules in :mod:`raygan.collapse`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import ray
from ray import tune

from raygan.config import GANConfig
from raygan.data import load_dataset
from raygan.devices import GPU_SHARE_DEFAULT
from raygan.errors import RayganError
from raygan.export import load_generator, save_generator
from raygan.plots import sample_grid, save_curves, save_grid, save_metric_by_trial
from raygan.records import write_jsonl
from raygan.space import SearchSpace
from raygan.trainable import GENERATOR_FILE, TrialSettings, train_gan


@dataclass(frozen=True)
class SearchOptions:
    num_samples: int = 8
    max_concurrent: int | None = None
    cpus_per_trial: float = 1.0
    gpus_per_trial: float | None = None  # None: GPU_SHARE_DEFAULT if the cluster has GPUs, else 0
    address: str | None = None
    storage_path: str = "runs"
    name: str = "search"
    resume: bool = False
    seed: int = 0
    study_db: str | None = None
    max_failures: int = 2
    verbose: int = 1


class CollapseStopper(tune.Stopper):
    """Ends a trial whose last report says ``collapsed`` (see :mod:`raygan.collapse`)."""

    def __call__(self, trial_id: str, result: dict) -> bool:
        return bool(result.get("collapsed", False))

    def stop_all(self) -> bool:
        return False


@dataclass
class Outcome:
    space: SearchSpace
    experiment_dir: str
    rows: list[dict] = field(default_factory=list)
    best_trial: str | None = None
    best_value: float | None = None
    best_step: int | None = None
    export_error: str | None = None

    def table(self) -> str:
        """The summary as an aligned text table, best trial first."""
        names = list(self.space.params)
        header = ["trial", *names, f"best {self.space.metric}", "at step", "steps", "status"]
        lines = [header] + [[row["trial"], *(_short(row["config"].get(n)) for n in names),
                             _short(row["best"]), str(row["best_step"]), str(row["steps"]), row["status"]]
                            for row in self.rows]
        widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
        return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)) + "  " + line[-1]
                         for line in lines)


def run_search(space: SearchSpace, data_dir, options: SearchOptions, export=None,
               download: bool = False) -> Outcome:
    """Run (or resume) the search described by ``space``; optionally export the best generator."""
    train = load_dataset(space.dataset, data_dir, "train", download=download)
    test = load_dataset(space.dataset, data_dir, "test")
    started_here = start_ray(options.address)
    try:
        resources, concurrent = trial_resources(options)
        settings = TrialSettings(base_config=space.base_config(), max_steps=space.budget.max_steps,
                                 report_every=space.budget.report_every,
                                 checkpoint_every=space.budget.checkpoint_every,
                                 quick_num=space.budget.quick_num, rules=space.collapse, metric=space.metric,
                                 mode=space.mode, threads=max(1, int(resources["cpu"])))
        trainable = tune.with_resources(
            tune.with_parameters(train_gan, train_data=train, test_data=test, settings=settings), resources)
        storage = storage_uri(options.storage_path)
        path = f"{storage.rstrip('/')}/{options.name}"
        tuner = make_tuner(space, options, trainable, storage, path, concurrent)
        grid = tuner.fit()
        outcome = summarize(grid, space, path)
        best = best_generator(grid, space)
        write_reports(grid, outcome, report_dir(options), best)
        if export:
            try:
                export_best(best, space, export, options.name)
            except RayganError as err:  # the experiment is intact: say how to export it again
                outcome.export_error = (f"{err} (the experiment is intact: fix that and run again with "
                                        f"--resume --name {options.name} --export FILE)")
        return outcome
    finally:
        if started_here:
            ray.shutdown()


_START_A_CLUSTER = "start one with 'ray start --head' or 'ray up cluster.yaml', or drop --address to run locally"


def start_ray(address: str | None) -> bool:
    """Connect to ``address`` or start a local Ray (dashboard off); True if we started it."""
    if ray.is_initialized():
        return False
    if address and address not in ("auto", "local") and "://" not in address:
        _check_reachable(address)
    try:
        if address:
            ray.init(address=address, logging_level=logging.WARNING)
        else:
            ray.init(include_dashboard=False, logging_level=logging.WARNING)
    except ConnectionError:
        raise RayganError(f"no Ray cluster found at --address {address}; {_START_A_CLUSTER}") from None
    return True


def _check_reachable(address: str) -> None:
    """Fail in seconds, not minutes (Ray retries for a long time), when nothing listens at HOST:PORT."""
    import socket

    host, sep, port = address.rpartition(":")
    if not sep:
        host, port = address, "6379"
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except ValueError:
        raise RayganError(f"--address {address} is not HOST:PORT or 'auto'; e.g. --address 10.0.0.5:6379") from None
    except OSError as err:
        raise RayganError(f"no Ray cluster at --address {address} ({err.strerror or err}); "
                          f"{_START_A_CLUSTER}") from None


def trial_resources(options: SearchOptions) -> tuple[dict, int]:
    """Per-trial resources and the concurrency limit, defaulting to what the cluster fits."""
    cluster = ray.cluster_resources()
    gpus = options.gpus_per_trial
    if gpus is None:
        gpus = GPU_SHARE_DEFAULT if cluster.get("GPU", 0) > 0 else 0.0
    if gpus > 0 and cluster.get("GPU", 0) == 0:
        logging.getLogger(__name__).warning("no GPU in the cluster yet; trials wait for one (autoscaling?)")
    concurrent = options.max_concurrent
    if concurrent is None:
        fits = [cluster.get("CPU", 0) / options.cpus_per_trial]
        if gpus > 0:
            fits.append(cluster.get("GPU", 0) / gpus)
        concurrent = max(1, int(min(fits) + 1e-9))
    return {"cpu": options.cpus_per_trial, "gpu": gpus}, concurrent


def make_tuner(space: SearchSpace, options: SearchOptions, trainable, storage: str, path: str,
               concurrent: int) -> tune.Tuner:
    if options.resume:
        if not tune.Tuner.can_restore(path):
            raise RayganError(f"no experiment '{options.name}' under {options.storage_path} to resume; "
                              "check --name and --storage-path")
        return tune.Tuner.restore(path, trainable, resume_unfinished=True, resume_errored=True)
    if tune.Tuner.can_restore(path):
        raise RayganError(f"experiment '{options.name}' already exists under {options.storage_path}; "
                          "pass --resume to continue it or choose another --name")
    from optuna.samplers import TPESampler
    from ray.tune.schedulers import ASHAScheduler
    from ray.tune.search import ConcurrencyLimiter
    from ray.tune.search.optuna import OptunaSearch

    sampler = TPESampler(seed=options.seed, multivariate=True, constant_liar=True,
                         n_startup_trials=max(2, min(10, options.num_samples // 2)))
    storage_db = None
    if options.study_db:
        import optuna

        storage_db = optuna.storages.RDBStorage(options.study_db)
    searcher = OptunaSearch(sampler=sampler, study_name=options.name, storage=storage_db)
    searcher = ConcurrencyLimiter(searcher, max_concurrent=concurrent)
    budget = space.budget
    scheduler = ASHAScheduler(time_attr="step", max_t=budget.max_steps, grace_period=budget.grace_period,
                              reduction_factor=budget.reduction_factor)
    run_config = tune.RunConfig(
        name=options.name, storage_path=storage, stop=CollapseStopper(), verbose=options.verbose,
        checkpoint_config=tune.CheckpointConfig(num_to_keep=2, checkpoint_score_attribute=space.metric,
                                                checkpoint_score_order=space.mode),
        failure_config=tune.FailureConfig(max_failures=options.max_failures))
    return tune.Tuner(trainable, param_space=space.tune_space(), run_config=run_config,
                      tune_config=tune.TuneConfig(metric=space.metric, mode=space.mode, search_alg=searcher,
                                                  scheduler=scheduler, num_samples=options.num_samples))


def summarize(grid, space: SearchSpace, path: str) -> Outcome:
    """One row per trial, best first: hyper-parameters, best metric and step, status."""
    sign = 1 if space.mode == "min" else -1
    rows = []
    for result in grid:
        frame = result.metrics_dataframe
        trial = (result.metrics or {}).get("trial_id") or Path(result.path).name
        row = {"trial": trial, "config": dict(result.config or {}), "best": float("nan"), "best_step": "-",
               "steps": 0, "status": "", "history": []}
        if frame is not None and space.metric in frame:
            frame = frame.dropna(subset=[space.metric])
            best = frame.loc[(sign * frame[space.metric]).idxmin()]
            row.update(best=float(best[space.metric]), best_step=int(best["step"]), steps=int(frame["step"].max()),
                       history=frame[["step", space.metric]].values.tolist())
        last = result.metrics or {}
        if result.error:
            row["status"] = f"error: {str(result.error).strip().splitlines()[-1][:100]}"
        elif last.get("collapsed"):
            row["status"] = f"collapsed: {last.get('collapse_reason')}"
        elif row["steps"] < space.budget.max_steps:
            row["status"] = f"stopped by ASHA at step {row['steps']}"
        else:
            row["status"] = "completed"
        rows.append(row)
    rows.sort(key=lambda r: sign * r["best"] if r["best"] == r["best"] else float("inf"))
    outcome = Outcome(space, path, rows)
    if rows and rows[0]["best"] == rows[0]["best"]:
        outcome.best_trial, outcome.best_value, outcome.best_step = rows[0]["trial"], rows[0]["best"], \
            rows[0]["best_step"]
    return outcome


def best_generator(grid, space: SearchSpace):
    """``(result, generator)`` of the best trial's best checkpoint by the metric (not its last), or None."""
    try:
        best = grid.get_best_result(space.metric, space.mode, scope="all", filter_nan_and_inf=True)
    except RuntimeError:  # no trial reported the metric
        return None
    checkpoint = best.get_best_checkpoint(space.metric, space.mode)
    if checkpoint is None:
        return None
    with checkpoint.as_directory() as folder:
        return best, load_generator(Path(folder) / GENERATOR_FILE)


def write_reports(grid, outcome: Outcome, folder: Path, best) -> None:
    """summary.jsonl and the plots, in the local experiment folder; ``best`` from :func:`best_generator`."""
    folder.mkdir(parents=True, exist_ok=True)
    metric = outcome.space.metric
    write_jsonl(folder / "summary.jsonl", [{k: v for k, v in row.items() if k != "history"} for row in outcome.rows])
    series = {f"{r['trial']}": ([h[0] for h in r["history"]], [h[1] for h in r["history"]])
              for r in outcome.rows if r["history"]}
    if series:
        save_metric_by_trial(series, folder / f"{metric}_by_trial.png", metric)
    if best is None:
        return
    result, generator = best
    save_curves(result.metrics_dataframe.to_dict("records"), folder / "best_curves.png", metric=metric)
    images, per_row = sample_grid(generator)
    save_grid(images, folder / "best_samples.png", nrow=per_row)


def export_best(best, space: SearchSpace, path, experiment: str) -> Path:
    """Write ``best`` (from :func:`best_generator`) as a generator file, hyper-parameters added."""
    if best is None:
        raise RayganError("no trial saved a checkpoint, so there is nothing to export; see the summary above")
    result, generator = best
    metadata = generator.metadata  # read by load_generator
    config = GANConfig.from_dict(metadata["config"], source="best checkpoint")
    return save_generator(path, generator, config, extra={
        "steps": metadata.get("steps"), "metrics": metadata.get("metrics"),
        "hyperparameters": dict(result.config), "trial": Path(result.path).name, "experiment": experiment,
        "search_space": space.to_dict()})


def storage_uri(storage_path: str) -> str:
    """Ray needs an absolute local path or a URI (s3://, gs://, ...)."""
    return storage_path if "://" in storage_path else str(Path(storage_path).expanduser().resolve())


def report_dir(options: SearchOptions) -> Path:
    """Where summary and plots go: the experiment folder when local, else ./runs/NAME."""
    if "://" in options.storage_path:
        return Path("runs") / options.name
    return Path(storage_uri(options.storage_path)) / options.name


def _short(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)
