"""The Tuner: Optuna's TPE sampler, ASHA, checkpoint and failure settings, and where results live."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ray import tune

from raygan.errors import RayganError
from raygan.loop import best_key
from raygan.space import SearchSpace


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


def make_tuner(space: SearchSpace, options: SearchOptions, trainable, concurrent: int) -> tune.Tuner:
    """A new Tuner for ``space``, or the interrupted one restored (``options.resume``).

    Optuna and ASHA judge a trial by its best value so far (``fid_best``), not its last:
    a trial stopped early, or one whose metric wobbles at the end, counts for what it reached.
    Checkpoints are still ranked by the metric itself, so the export is the best checkpoint.
    """
    storage = storage_uri(options.storage_path)
    path = experiment_path(options)
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
    scheduler = ASHAScheduler(time_attr="step", max_t=space.budget.max_steps, grace_period=space.asha.grace_period,
                              reduction_factor=space.asha.reduction_factor)
    run_config = tune.RunConfig(
        name=options.name, storage_path=storage, verbose=options.verbose,
        checkpoint_config=tune.CheckpointConfig(num_to_keep=2, checkpoint_score_attribute=space.metric,
                                                checkpoint_score_order=space.mode),
        failure_config=tune.FailureConfig(max_failures=options.max_failures))
    tune_config = tune.TuneConfig(metric=best_key(space.metric), mode=space.mode, search_alg=searcher,
                                  scheduler=scheduler, num_samples=options.num_samples)
    return tune.Tuner(trainable, param_space=space.tune_space(), run_config=run_config, tune_config=tune_config)


def storage_uri(storage_path: str) -> str:
    """Ray needs an absolute local path or a URI (s3://, gs://, ...)."""
    return storage_path if "://" in storage_path else str(Path(storage_path).expanduser().resolve())


def experiment_path(options: SearchOptions) -> str:
    return f"{storage_uri(options.storage_path).rstrip('/')}/{options.name}"


def report_dir(options: SearchOptions) -> Path:
    """Where summary and plots go: the experiment folder when local, else ./runs/NAME."""
    if "://" in options.storage_path:
        return Path("runs") / options.name
    return Path(experiment_path(options))
