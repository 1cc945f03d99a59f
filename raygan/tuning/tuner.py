"""The Tuner: the searcher and scheduler, checkpoint and failure settings (where results live: :mod:`.location`).

``scheduler: asha`` (the default) pairs Optuna's TPE sampler with asynchronous successive
halving; ``pbt`` and ``pb2`` run a population sampled from the space (Ray refuses any
search algorithm with them) and perturb the :data:`~raygan.space.PERTURBABLE` values of
running trials, which restore the donor's checkpoint with their own new values.  Every
scheduler counts time in ``kimg`` (real images shown to D), so batch size is a fair choice.
"""
from __future__ import annotations

import dataclasses
import time

from ray import tune

from raygan.errors import RayganError
from raygan.layout import FINAL_NAME
from raygan.judging import judged_key
from raygan.space import SearchSpace
from raygan.tuning.location import experiment_path, storage_uri
from raygan.tuning.options import SearchOptions
from raygan.tuning.progress_table import ProgressTable
from raygan.tuning.restart_records import UploadRecordsBeforeRestart
from raygan.tuning.summary import FINAL_PHASE

BACKSTOP_S = 60.0  # Tune's own time limit on the final run, past the run's deadline
KEPT_CHECKPOINTS = 4  # per ASHA trial, by the metric (see _run_config)


def make_tuner(space: SearchSpace, options: SearchOptions, trainable, concurrent: int,
               deadline: float | None = None) -> tune.Tuner:
    """A new Tuner for ``space``, or the interrupted one restored (``options.resume``).

    The searcher and scheduler judge a trial by the best so far of its metric's 3-report
    moving average (``fid_smooth_best``, :mod:`raygan.judging`), not its last value nor its
    raw best: a trial stopped early, or one whose metric wobbles at the end, counts for what
    it reached, and one lucky 2,000-sample draw does not win it a rung.  Checkpoints are
    still ranked by the metric itself.  Under the space's constraints each of these goes by
    the ranked value instead (``fid_smooth_ranked_best``, ``fid_ranked``:
    :mod:`raygan.constraints`), and Optuna's TPE
    is told each trial's violation (:mod:`.constrained_search`).  At ``deadline``
    (``time.time()``) Tune stops every trial; the searcher stops proposing trials earlier,
    when a new one could not report before it.  ASHA's
    trials reuse their workers (no process start, data fetch or evaluator set-up per trial:
    about 10 s of two cores each, bench/RESULTS.md); PBT and PB2 start each restore afresh.
    """
    path = experiment_path(options)
    if options.resume:
        if not tune.Tuner.can_restore(path):
            raise RayganError(f"no experiment '{options.name}' under {options.storage_path} to resume; "
                              "check name and storage_path", ("name", "storage_path"))
        return tune.Tuner.restore(path, trainable, resume_unfinished=True, resume_errored=True)
    if tune.Tuner.can_restore(path):
        raise RayganError(f"experiment '{options.name}' already exists under {options.storage_path}; "
                          "pass resume=True to continue it or choose another name", ("resume", "name"))
    run_config = _run_config(space, options, options.name, "search")
    num_samples = num_trials(space, options, concurrent)
    searcher = _searcher(space, options, concurrent, num_samples, deadline) if space.scheduler == "asha" else None
    judged = judged_key(space.metric, space.constraints)
    tune_config = tune.TuneConfig(metric=judged, mode=space.mode, search_alg=searcher,
                                  scheduler=_scheduler(space), num_samples=num_samples,
                                  time_budget_s=None if deadline is None else max(1.0, deadline - time.time()),
                                  reuse_actors=space.scheduler == "asha")
    return tune.Tuner(trainable, param_space=space.tune_space(), run_config=run_config, tune_config=tune_config)


def final_tuner(space: SearchSpace, options: SearchOptions, trainable, config: dict,
                time_budget_s: float | None) -> tune.Tuner:
    """The final run: one trial with the best trial's ``config``, as the experiment ``NAME/final``."""
    final = dataclasses.replace(options, storage_path=experiment_path(options), name=FINAL_NAME)
    if options.resume and tune.Tuner.can_restore(experiment_path(final)):
        return tune.Tuner.restore(experiment_path(final), trainable, resume_unfinished=True, resume_errored=True)
    run_config = _run_config(space, final, options.name, FINAL_PHASE)
    # The run stops itself at its last report before the deadline; Tune's limit is only a backstop.
    tune_config = tune.TuneConfig(metric=judged_key(space.metric, space.constraints), mode=space.mode, num_samples=1,
                                  time_budget_s=None if time_budget_s is None else time_budget_s + BACKSTOP_S)
    return tune.Tuner(trainable, param_space=dict(config), run_config=run_config, tune_config=tune_config)


def _run_config(space: SearchSpace, options: SearchOptions, search_name: str, phase: str) -> tune.RunConfig:
    """Where the experiment lives, which checkpoints each trial keeps, restarts on failure, what
    it prints, and the MLflow experiment (``search_name``, for both phases) when ``options.mlflow_uri`` is set.

    ``--verbose 1`` prints :class:`~raygan.tuning.progress_table.ProgressTable` for ``phase``
    instead of Ray's table; ``2`` Ray's full output.

    Under ASHA a trial keeps its :data:`KEPT_CHECKPOINTS` best checkpoints by the metric (and its
    latest).  Tune records a trial's latest checkpoint in an experiment snapshot that it syncs
    to storage in the background, and forces a snapshot only after ``num_to_keep`` new
    checkpoints: with 2, a driver killed mid-search could leave a snapshot naming a checkpoint
    already pruned, and ``--resume`` then failed that trial (seen in 2 of 4 kill tests).
    PBT and PB2 restore a donor's *latest* checkpoint, which must survive the donor's next
    reports whatever its metric, and Tune's pruning of checkpoints races with those restores
    (a trial then fails on a checkpoint folder that is gone), so they keep every checkpoint.
    Once a phase has ended, what no run can continue from is deleted (:mod:`.pruning`).
    """
    if space.scheduler == "asha":
        kept = tune.CheckpointConfig(num_to_keep=KEPT_CHECKPOINTS, checkpoint_score_attribute=space.ranked,
                                     checkpoint_score_order=space.mode)
    else:
        kept = tune.CheckpointConfig(num_to_keep=None)
    callbacks: list[tune.Callback] = [UploadRecordsBeforeRestart()]
    if options.verbose == 1:
        callbacks.append(ProgressTable(phase, space.metric, space.mode, space.constraints))
    if options.mlflow_uri:
        from raygan.tuning.mlflow_log import mlflow_callback

        callbacks.append(mlflow_callback(options.mlflow_uri, search_name))
    # sync_artifacts: what trials write in their own folder (TensorBoard events, grids) reaches the storage path;
    # the trials sync it themselves before each report (TuneFace.publish), not again with a checkpoint
    return tune.RunConfig(name=options.name, storage_path=storage_uri(options.storage_path),
                          verbose=2 if options.verbose >= 2 else 0,
                          checkpoint_config=kept, failure_config=tune.FailureConfig(max_failures=options.max_failures),
                          sync_config=_sync_artifacts(), callbacks=callbacks)


def _sync_artifacts():
    """``SyncConfig(sync_artifacts=True, sync_artifacts_on_checkpoint=False)``: ``ray.tune``'s, or
    ``ray.train``'s where Ray deprecated the former (2.41 to the 2.4x releases raise on ``tune.SyncConfig``)."""
    settings = {"sync_artifacts": True, "sync_artifacts_on_checkpoint": False}
    try:
        return tune.SyncConfig(**settings)
    except DeprecationWarning:
        from ray.train import SyncConfig

        return SyncConfig(**settings)


def num_trials(space: SearchSpace, options: SearchOptions, concurrent: int) -> int:
    """Trials to sample: as given; else a population of ``concurrent`` for PBT/PB2, or for ASHA
    under a time budget as many as it allows (-1, Tune's "until stopped")."""
    if not options.unbounded:
        return options.num_samples
    return max(2, concurrent) if space.scheduler != "asha" else -1


def check_scheduler_options(space: SearchSpace, options: SearchOptions) -> None:
    """One-line errors for options a PBT/PB2 search cannot honour (before Ray starts)."""
    if space.scheduler == "asha":
        return
    if options.study_db:
        raise RayganError(f"study_db records an Optuna study, but scheduler {space.scheduler} runs without "
                          "Optuna (Ray refuses a search algorithm with PBT and PB2); drop study_db or use "
                          "scheduler: asha", "study_db")
    if space.scheduler == "pb2":
        try:
            import GPy  # noqa: F401
            import sklearn  # noqa: F401
        except ImportError:
            raise RayganError("scheduler pb2 needs GPy and scikit-learn: pip install 'raygan[pb2]'") from None


def _searcher(space: SearchSpace, options: SearchOptions, concurrent: int, num_samples: int,
              deadline: float | None):
    from optuna.samplers import TPESampler
    from ray.tune.search.optuna import OptunaSearch

    from raygan.tuning.constrained_search import ConstrainedOptunaSearch
    from raygan.tuning.late_start import DeadlineLimiter

    startup = 5 if num_samples < 0 else max(2, min(10, num_samples // 2))
    sampler = TPESampler(seed=options.seed, multivariate=True, constant_liar=True, n_startup_trials=startup)
    import optuna

    if options.verbose < 2:  # "A new study created ...": the progress table says what matters
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage_db = optuna.storages.RDBStorage(options.study_db) if options.study_db else None
    settings = {"sampler": sampler, "study_name": options.name, "storage": storage_db,
                "points_to_evaluate": [dict(point) for point in space.start_with]}
    searcher = ConstrainedOptunaSearch(space.constraints, **settings) if space.constraints else OptunaSearch(**settings)
    return DeadlineLimiter(searcher, max_concurrent=concurrent, deadline=deadline)


def _scheduler(space: SearchSpace):
    budget, search = space.budget, space.search
    if space.scheduler == "asha":
        from ray.tune.schedulers import ASHAScheduler

        return ASHAScheduler(time_attr="kimg", max_t=budget.max_kimg, grace_period=search.grace_kimg,
                             reduction_factor=search.reduction_factor)
    # Perturb where trials checkpoint, so an exploiting trial copies its donor's latest weights.
    interval = budget.report_kimg * budget.checkpoint_every
    if space.scheduler == "pbt":
        from ray.tune.schedulers import PopulationBasedTraining

        return PopulationBasedTraining(time_attr="kimg", perturbation_interval=interval,
                                       hyperparam_mutations=space.mutations(), quantile_fraction=0.25,
                                       resample_probability=0.25, custom_explore_fn=space.clip, synch=False)
    from ray.tune.schedulers.pb2 import PB2

    return PB2(time_attr="kimg", perturbation_interval=interval, quantile_fraction=0.25,
               hyperparam_bounds={n: [space.params[n].low, space.params[n].high] for n in space.mutations()})

