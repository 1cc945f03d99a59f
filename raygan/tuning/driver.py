"""The driver side of a search: data once, Ray, the Tuner, then summary, reports and export.

:func:`run_search` is what ``python -m raygan.search`` calls.
"""
from __future__ import annotations

import ray
from ray import tune

from raygan.data import load_dataset
from raygan.errors import RayganError
from raygan.loop import RunPlan
from raygan.space import SearchSpace
from raygan.tuning.best import export_best, load_best, measure_best
from raygan.tuning.ray_session import start_ray
from raygan.tuning.resources import trial_resources
from raygan.tuning.summary import Outcome, summarize, write_reports
from raygan.tuning.trainable import TrialSettings, train_gan
from raygan.tuning.tuner import SearchOptions, experiment_path, make_tuner, report_dir


def run_search(space: SearchSpace, data_dir, options: SearchOptions, export=None,
               download: bool = False) -> Outcome:
    """Run (or resume) the search described by ``space``; optionally export the best generator."""
    train = load_dataset(space.dataset, data_dir, "train", download=download)
    test = load_dataset(space.dataset, data_dir, "test")
    started_here = start_ray(options.address)
    try:
        resources, concurrent = trial_resources(options.cpus_per_trial, options.gpus_per_trial,
                                                options.max_concurrent)
        plan = RunPlan(space.budget, space.collapse, space.metric, space.mode)
        settings = TrialSettings(space.base_config(), plan, threads=max(1, int(resources["cpu"])))
        trainable = tune.with_resources(
            tune.with_parameters(train_gan, train_data=train, test_data=test, settings=settings), resources)
        grid = make_tuner(space, options, trainable, concurrent).fit()
        outcome = summarize(grid, space, experiment_path(options))
        best = load_best(grid, space, outcome.best_trial)
        write_reports(outcome, report_dir(options), best)
        if export:
            outcome.export_metrics = measure_best(best, space, test)
            try:
                export_best(best, outcome.export_metrics, space, export, options.name)
            except RayganError as err:  # the experiment is intact: say how to export it again
                outcome.export_error = (f"{err} (the experiment is intact: fix that and run again with "
                                        f"--resume --name {options.name} --export FILE)")
        return outcome
    finally:
        if started_here:
            ray.shutdown()
