"""The run loop: train, and at every report measure, record, check for collapse and checkpoint.

One loop serves both ways of running a GAN; each supplies a thin :class:`Face`:

- :class:`raygan.folder_run.FolderFace` (``python -m raygan.train``) writes the reports, sample
  grids and checkpoints into an output folder;
- :class:`raygan.tuning.trainable.TuneFace` (a Ray Tune trial) hands them to ``tune.report``.

At each report the loop adds the quick quality metrics (on ``budget.quick_num`` samples),
D's accuracy on real training images beside held-out ones (``d_acc_train``, ``d_acc_heldout``)
the tracked metric's best value so far and the smoothed value a search judges the run by
(``fid_best``, ``fid_smooth``, ``fid_smooth_best``: :mod:`raygan.judging`; under a search's
constraints, of their ranked values: :mod:`raygan.constraints`), appends the report to the
run's history, annotates it with :func:`~raygan.collapse.collapse_reason`, the learning
rates in use and the face's tags, decides whether the run needs a checkpoint to go on
from (every ``checkpoint_every`` reports, on collapse, at the end and at the last report
before the plan's deadline) and passes it all, with whether the metric reached a new
best, to the face, which saves what its kind of run needs besides.  A run
ends after a collapsed report or that last one before the deadline.  A run resumes from the
face's latest checkpoint: the trainer state and the history come back together, so the
collapse patience and the best-so-far carry across restarts.
"""
from __future__ import annotations

import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from raygan import metrics
from raygan.budget import Budget
from raygan.checkpoint import read_checkpoint, write_checkpoint
from raygan.collapse import CollapseRules, collapse_reason
from raygan.constraints import ranked_key, ranked_value
from raygan.generator_file import save_trainer_generator
from raygan.metrics.measurer import Measurer
from raygan.judging import best_key, best_so_far, is_new_best, moving_average, smoothed_key
from raygan.trainer import GANTrainer


@dataclass(frozen=True)
class RunPlan:
    """What a run loop needs besides the trainer: its budget, collapse rules and the metric it tracks."""

    budget: Budget = field(default_factory=Budget)
    rules: CollapseRules = field(default_factory=CollapseRules)
    metric: str = "fid"
    mode: str = "min"
    deadline: float | None = None  # wall-clock time (time.time()) by which the run stops, checkpointed
    constraints: tuple = ()  # a search's (raygan.constraints): reports that miss them rank behind the rest

    @property
    def ranked(self) -> str:
        """The report key the run ranks its reports by: ``metric``, or with constraints ``<metric>_ranked``."""
        return ranked_key(self.metric, self.constraints)


@dataclass
class ReportEvent:
    """One report as the loop hands it to a face, with what to save and how."""

    report: dict
    history: list[dict]
    trainer: GANTrainer
    checkpoint_due: bool
    new_best: bool
    last: bool = False  # the run stops after this report (collapse, its deadline or max_kimg)

    @property
    def collapsed(self) -> bool:
        return bool(self.report["collapsed"])

    def metric_record(self) -> dict:
        """The report's quality metrics with their sample count and evaluator (none if not measured)."""
        names = (*metrics.METRICS, *metrics.RECORD_KEYS)
        return {key: self.report[key] for key in names if key in self.report}

    def write_checkpoint(self, folder) -> Path:
        return write_checkpoint(folder, self.trainer, self.history)

    def write_generator(self, path, with_raw: bool = False) -> Path:
        return save_trainer_generator(path, self.trainer, self.metric_record(), with_raw)


class Face(Protocol):
    def latest_checkpoint(self) -> AbstractContextManager[Path | None]:
        """The folder of the checkpoint to resume from, or None for a fresh start."""

    def start(self, history: list[dict]) -> dict:
        """The run starts with ``history`` (empty, or the reports its checkpoint holds); returns the
        fields to add to each of its reports (where it runs, whose checkpoint it came from)."""

    def publish(self, event: ReportEvent) -> None:
        """Record one report (and write a checkpoint at least when ``event.checkpoint_due``)."""


def run_loop(trainer: GANTrainer, plan: RunPlan, measurer: Measurer, face: Face, on_step=None) -> list[dict]:
    """Train ``trainer`` until D has seen ``plan.budget.max_kimg`` (or collapse); return the report history.

    ``measurer`` measures the quick metrics (on the trainer's device).  ``on_step`` is
    :meth:`GANTrainer.run`'s.
    """
    budget = plan.budget
    with face.latest_checkpoint() as folder:
        history = read_checkpoint(folder, trainer) if folder is not None else []
    tags = face.start(list(history))
    if history and history[-1].get("collapsed"):
        return history  # a collapsed run that was checkpointed on its last report is over
    quick = metrics.quick_metrics(trainer.config.conditional, trainer.info.labelled)
    measurer = measurer.to(trainer.device)
    last_report_at = time.time()

    def on_report(report: dict) -> bool:
        nonlocal last_report_at
        report.update(tags)
        measuring = time.perf_counter()
        if budget.quick_num:
            report.update(measurer.measure_generator(trainer.sampling_generator, num=budget.quick_num, metrics=quick,
                                                     strict=False))
        if measurer.test is not None:  # D on real training images beside held-out ones: has it memorised them?
            report.update(trainer.real_accuracy(trainer.data, measurer.test))
        report["metrics_s"] = time.perf_counter() - measuring
        reason = collapse_reason(history + [report], plan.rules)
        report.update(collapsed=reason is not None, collapse_reason=reason or "",
                      lr_g_in_use=trainer.opt_g.param_groups[0]["lr"],
                      lr_d_in_use=trainer.opt_d.param_groups[0]["lr"])
        history.append(report)
        annotate_best(history, plan)
        best = is_new_best(history, plan.ranked, plan.mode)
        # Stop at the last report before the deadline: the next would come as long after this one.
        now = time.time()
        report["out_of_time"] = plan.deadline is not None and 2 * now - last_report_at > plan.deadline
        last_report_at = now
        last = reason is not None or report["out_of_time"] or trainer.images >= budget.max_images
        due = last or len(history) % budget.checkpoint_every == 0
        face.publish(ReportEvent(dict(report), history, trainer, due, best, last))
        return reason is not None or report["out_of_time"]

    trainer.run(budget.max_images, budget.report_images, on_report, on_step)
    return history


def annotate_best(history: list[dict], plan: RunPlan) -> None:
    """Add to the last report of ``history`` the moving average of the tracked metric (``fid_smooth``), under
    constraints both values ranked, and the best so far of each ranked value (``fid_best``, ``fid_smooth_best``:
    :mod:`raygan.judging`)."""
    report = history[-1]
    smoothed = smoothed_key(plan.metric)
    average = moving_average(history, plan.metric)
    if average is not None:
        report[smoothed] = average
    ranked_pairs = [(plan.ranked, plan.metric), (ranked_key(smoothed, plan.constraints), smoothed)]
    for ranked, value in ranked_pairs:
        if plan.constraints and value in report:
            report[ranked] = ranked_value(report, value, plan.mode, plan.constraints)
        best = best_so_far(history, ranked, plan.mode)
        if best is not None:
            report[best_key(ranked)] = best
