"""The driver side of a search: data once, Ray, the search phase, the final run, then reports and export.

:func:`run_search` is what ``python -m raygan.search`` calls.  A search has up to two phases:

1. **search**: the space's trials under its scheduler (Optuna + ASHA, PBT or PB2), each
   trained for at most ``max_kimg``;
2. **final run**: the best trial continues from its best checkpoint, alone and with every
   core of a node (or a whole GPU), until ``final_kimg`` or, under ``--time-budget``, until
   the budget runs out.  Breadth first, then depth: the exported generator is the best, measured
   again on ``final_num`` samples, of the final run's best few reports' and last generators and the
   best generator of the trial it continued (:func:`~raygan.tuning.best.choose_export`).

After each phase the checkpoints that no run can continue from any more are deleted
(:mod:`.pruning`), and the experiment folder's size is recorded with the phase.

Under ``--time-budget T`` the search phase gets ``T * (1 - final_share)`` and the final run
the rest, both measured from the start of the search.

A first Ctrl-C or SIGTERM (:mod:`raygan.interrupt`) ends the phase under way with Tune's state
saved, skips what follows (the final run, the export), writes the reports and raises
:class:`~raygan.interrupt.Interrupted`: ``resume=True`` continues the search.
"""
from __future__ import annotations

import dataclasses
import time

import ray
from ray import tune

from raygan.budget import UNTIL_DEADLINE_KIMG, Budget
from raygan.data.prepare import Prepared, prepare
from raygan.data.sources import Source
from raygan.errors import RayganError
from raygan.interrupt import StopRequest
from raygan.models import is_conditional
from raygan.run_loop import RunPlan
from raygan.space import SearchSpace
from raygan.tuning.best import (best_checkpoint, best_generator_config, choose_export, export_best, load_best,
                                measure_best)
from raygan.tuning.html_report import build_report
from raygan.tuning.location import experiment_bytes, experiment_path, report_dir, upload_reports
from raygan.tuning.options import SearchOptions
from raygan.tuning.pruning import prune
from raygan.tuning.ray_session import start_ray
from raygan.tuning.resources import describe, final_run_resources, torch_threads, trial_resources
from raygan.tuning.search_record import write_search_record
from raygan.tuning.summary import FINAL_PHASE, Outcome, Phase, summarize, trial_name, write_reports
from raygan.tuning.trainable import TrialSettings, train_gan
from raygan.tuning.tuner import final_tuner, make_tuner


def run_search(space: SearchSpace, source: Source, options: SearchOptions, export=None) -> Outcome:
    """Run (or resume) the search described by ``space`` on ``source``'s data; optionally export the best
    generator."""
    # the clock starts once the data and its evaluator are ready: both are one-time costs per dataset
    data = prepare(source)
    check_metric_fits(space, data.info)
    started = time.time()
    write_search_record(report_dir(options), options.command, space)  # before any training
    started_here = start_ray(options.address, quiet=options.verbose < 2)
    # after Ray started: its SIGTERM handler (exit at once) is set aside while the search runs
    resume = {"resume": True, "name": options.name, **({"time_budget": None} if options.time_budget_s else {})}
    with StopRequest(lambda: resume) as stop:
        try:
            return _search(space, data, options, export, started, stop)
        finally:
            if started_here:
                ray.shutdown()


def _search(space: SearchSpace, data: Prepared, options: SearchOptions, export, started: float,
            stop: StopRequest) -> Outcome:
    """The search phase, the final run, reports and export on a running Ray; the phases end early on a ``stop``."""
    resources, concurrent = trial_resources(options)
    final_kimg = final_run_kimg(space, options)
    search_end = None
    if options.time_budget_s:
        share = space.search.final_share if final_kimg else 0.0
        search_end = started + options.time_budget_s * (1 - share)
    plan = RunPlan(space.budget, space.collapse, space.metric, space.mode, deadline=search_end,
                   constraints=space.constraints)
    trainable = _trainable(data, TrialSettings(space.base_config(), plan, torch_threads(resources["cpu"]),
                                                      quiet=options.verbose < 2), resources)
    phase_start = time.time()
    with stop.reaching_tune():
        grids = [make_tuner(space, options, trainable, concurrent, deadline=search_end).fit()]
    phases = [Phase("search", time.time() - phase_start, interrupted=stop.requested, slots=concurrent)]
    outcome = summarize(grids, space, experiment_path(options), phases)
    source = (_final_source(outcome) if final_kimg and outcome.best_trial is not None and not stop.requested
              else None)
    if not stop.requested:  # a stopped phase keeps every checkpoint: --resume continues its trials
        phases[0] = _pruned(phases[0], grids, options, keep=source[1].path if source else None)
    if source:
        with stop.reaching_tune():
            grids.append(_final_run(space, options, *source, data, resources, final_kimg, started))
        final = Phase(FINAL_PHASE, time.time() - phase_start - phases[0].seconds, interrupted=stop.requested)
        phases.append(final if stop.requested else _pruned(final, grids, options))
    outcome = summarize(grids, space, experiment_path(options), phases)
    outcome.resources = describe(resources, concurrent)
    best = exported = load_best(grids, space, outcome.best_trial)  # the reports show the best trial's
    if export and not stop.requested:  # a stopped search is not exported (its resume is); measured before the
        # report, which shows the export's memorisation check
        choice = None
        if source and len(grids) > 1:  # the final run's candidates and its source's best, measured again
            chosen, choice = choose_export(source[0], grids[1][0], space, data.measurer)
            exported = chosen or best
        outcome.export_metrics = measure_best(exported, space, data.measurer, report_dir(options))
        if choice and outcome.export_metrics:  # as train's final record carries its own
            outcome.export_metrics["best_choice"] = choice
    write_reports(outcome, report_dir(options), best)
    build_report(report_dir(options))
    upload_reports(options)
    stop.check()
    if export:
        try:
            export_best(exported, outcome.export_metrics, space, export, options.name)
            if options.mlflow_uri:
                from raygan.tuning.mlflow_log import log_export

                log_export(options.mlflow_uri, options.name, trial_name(exported.result), export)
        except RayganError as err:  # the experiment is intact: say how to export it again
            outcome.export_error = (f"{err} (the experiment is intact: fix that and run again with "
                                    f"resume=True, name {options.name} and export=FILE)")
    return outcome


def check_metric_fits(space: SearchSpace, info) -> None:
    """The space's metric and constrained metrics are ones the data can report (no class metrics on unlabelled
    images)."""
    from raygan.metrics import searchable_metrics

    allowed = searchable_metrics(is_conditional(space.model), info.labelled)
    if space.metric not in allowed:
        raise RayganError(f"{space.source}: metric '{space.metric}' needs classes, which dataset '{info.name}' "
                          f"has not; choose one of {', '.join(allowed)}")
    for constraint in space.constraints:
        if constraint.metric not in allowed:
            raise RayganError(f"{space.source}: constraints.{constraint.metric}: {constraint.metric} needs classes, "
                              f"which dataset '{info.name}' has not; drop the constraint or constrain one of "
                              f"{', '.join(allowed)}", "constraints")


def final_run_kimg(space: SearchSpace, options: SearchOptions) -> float:
    """How far the final run trains the best trial (0: no final run)."""
    if options.time_budget_s:
        return UNTIL_DEADLINE_KIMG if space.search.final_share > 0 else 0.0
    return space.search.final_kimg


def _trainable(data: Prepared, settings: TrialSettings, resources: dict):
    """Trials get the data and its measurer through Ray's object store."""
    return tune.with_resources(tune.with_parameters(train_gan, data=data, settings=settings), resources)


def _final_source(outcome: Outcome) -> tuple:
    """The best trial's result and its best checkpoint, which the final run continues."""
    best = next(row for row in outcome.rows if row.trial == outcome.best_trial)
    checkpoint = best_checkpoint(best.result, best.best_report)
    if checkpoint is None:
        raise RayganError(f"the best trial {outcome.best_trial} saved no checkpoint to continue; see the summary")
    return best.result, checkpoint


def _pruned(phase: Phase, grids: list, options: SearchOptions, keep: str | None = None) -> Phase:
    """``phase`` with the experiment folder's size once every phase's finished trials are pruned (:mod:`.pruning`;
    ``keep``: the checkpoint the final run starts from)."""
    for grid in grids:
        prune(grid, keep)
    return dataclasses.replace(phase, bytes_kept=experiment_bytes(options))


def _final_run(space, options, result, checkpoint, data: Prepared, resources, final_kimg, started):
    """Continue the best trial (``result``) from its best ``checkpoint`` as a one-trial experiment ``NAME/final``."""
    # its config at its best report, kept with its best generator (the checkpoint itself may be pruned when a
    # finished search resumes): under PBT the trial's config may have moved on since
    config = best_generator_config(result)
    searched = {name: config[name] for name in space.params}
    deadline = started + options.time_budget_s if options.time_budget_s else None
    budget: Budget = dataclasses.replace(space.budget, max_kimg=final_kimg)
    plan = RunPlan(budget, space.collapse, space.metric, space.mode, deadline=deadline, constraints=space.constraints)
    final_resources = final_run_resources(resources, options)
    settings = TrialSettings(space.base_config(), plan, torch_threads(final_resources["cpu"]), start_from=checkpoint,
                             quiet=options.verbose < 2, checkpoint_best=False, keep_candidates=True)
    trainable = _trainable(data, settings, final_resources)
    time_left = None if deadline is None else max(1.0, deadline - time.time())
    return final_tuner(space, options, trainable, searched, time_left).fit()
