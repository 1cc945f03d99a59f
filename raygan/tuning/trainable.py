"""The Ray Tune function trainable: one GAN trial, the run loop with ``tune.report`` as its face.

:func:`train_gan` is wrapped by ``tune.with_parameters`` in :mod:`raygan.tuning.driver`, so
the prepared data (both splits and the measurer: evaluator weights and test features) reaches
every trial through Ray's object store, as Ray's ``pbt_dcgan_mnist`` hands its scoring model
over (prepared once by the driver; worker nodes need no files).  The run loop (:mod:`raygan.run_loop`) measures,
checks for collapse and decides when to checkpoint; :class:`TuneFace` adds where the
trial runs (``node_id``, ``pid``, ``device``) and its ``memory_mb``, makes every value finite for Tune
and Optuna, hands reports and checkpoints to Tune, and writes each report's artifacts
(:mod:`raygan.artifacts`: the sample grid, TensorBoard events) into the trial's working
folder, which it syncs to the trial's folder in the experiment's storage before every
report, beside the trial's best generator (what it saves and what that costs: :mod:`.saving`).

On restore the trainer is rebuilt from *this* trial's config and only then loaded, so a
restarted or exploited trial trains with its own hyper-parameters.
"""
from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import ray
import torch
from ray import tune

from raygan.artifacts import ReportArtifacts
from raygan.config import GANConfig
from raygan.data.prepare import Prepared
from raygan.devices import pick_device
from raygan.judging import best_key, improves
from raygan.layout import BEST_GENERATOR
from raygan.records import finite_or_big
from raygan.run_loop import ReportEvent, RunPlan, run_loop
from raygan.trainer import GANTrainer
from raygan.tuning.saving import SAVING, keep_stored_candidates, new_record, stored_best, timed, timing_uploads
from raygan.tuning.storage import local_bytes, upload


@dataclass(frozen=True)
class TrialSettings:
    """What every trial of one search shares (the searched values come in the trial config).

    ``start_from`` is the checkpoint a trial without one of its own starts from: the final
    run continues the search's best trial this way, from that trial's best checkpoint.  So
    ``checkpoint_best``: the search's trials checkpoint each new best of their own too (any of
    them may turn out the best); the final run, which nothing continues, checkpoints only
    when the run loop needs it to go on from (and saves a new best as its best generator).
    """

    base_config: dict
    plan: RunPlan
    threads: int = 1
    start_from: tune.Checkpoint | None = None
    quiet: bool = True  # mute Ray's per-checkpoint and per-restore log lines (``--verbose 2`` keeps them)
    checkpoint_best: bool = True
    keep_candidates: bool = False  # the final run: the export is chosen among them (raygan.tuning.saving)


class TuneFace:
    """Reports and checkpoints through ``tune.report``; resumes from ``tune.get_checkpoint()``.

    Every report names its ``trial`` and its ``lineage``: the trials whose checkpoints this
    one continued, each with the kimg it took over at (``a_00001@48 > a_00003@96``), so a
    PBT exploit or a final run shows where its weights came from.
    """

    def __init__(self, plan: RunPlan, placement: dict, start_from: tune.Checkpoint | None = None,
                 checkpoint_best: bool = True, keep_candidates: bool = False):
        self.plan, self.ranked, self.mode = plan, plan.ranked, plan.mode
        self.keep_candidates = keep_candidates
        # Ray's own progress table (--verbose 2) shows the first four metrics of a result: the telling ones first.
        self.shown_first = (best_key(self.ranked), plan.metric, "d_acc", "classes_covered", "kimg")
        self.placement = placement
        self.start_from = start_from
        self.checkpoint_best = checkpoint_best
        self.artifacts: ReportArtifacts | None = None  # opened by start(), in the trial's folder
        self.best = None  # the best ranked value of this trial's own reports (start() reads it from storage)

    def close(self) -> None:
        if self.artifacts is not None:
            self.artifacts.close()

    @contextmanager
    def latest_checkpoint(self):
        checkpoint = tune.get_checkpoint() or self.start_from
        if checkpoint is None:
            yield None
            return
        with checkpoint.as_directory() as folder:
            yield Path(folder)

    def start(self, history: list[dict]) -> dict:
        """Tune keeps the trial's results itself; a checkpoint written by another trial extends the lineage."""
        trial = tune.get_context().get_trial_id()
        lineage = history[-1].get("lineage", "") if history else ""
        if history and history[-1].get("trial") not in (None, trial):
            kimg = f"{history[-1]['kimg']:.3f}".rstrip("0").rstrip(".")  # whole images: three decimals at most
            lineage = " > ".join(filter(None, [lineage, f"{history[-1]['trial']}@{kimg}"]))
        # The folder Ray syncs to storage.  Not get_trial_dir(): in a fresh (not reused) actor Ray 2.60
        # answers the driver's staging folder there, which is never synced from a worker's node.
        self.storage = tune.get_context().get_storage()
        self.artifacts = ReportArtifacts(self.storage.trial_working_directory, history)
        self.best = stored_best(self.storage, self.plan)
        return {**self.placement, "trial": trial, "lineage": lineage}

    def publish(self, event: ReportEvent) -> None:
        """Save what the report needs (:mod:`.saving`), then hand it to Tune: everything it saved is in storage
        when the driver (the scheduler, the MLflow callback) gets it."""
        report = {**event.report, "memory_mb": resident_mb()}
        report = finite_or_big({**{key: report[key] for key in self.shown_first if key in report}, **report})
        drawing = time.perf_counter()
        self.artifacts.write(report, event.trainer.sampling_generator)
        report["grids_s"] = time.perf_counter() - drawing
        report[SAVING] = saving = new_record()  # filled in below, and by Tune's upload (see timing_uploads)
        own_best = improves(report.get(self.ranked), self.best, self.mode)  # as Tune records it (finite)
        with tempfile.TemporaryDirectory() as folder, timed(saving):
            saved = None
            if own_best:
                saved = event.write_generator(Path(folder) / BEST_GENERATOR, with_raw=True)
                saving["bytes"] += upload(saved, self.storage.storage_filesystem,
                                          f"{self.storage.trial_fs_path}/{BEST_GENERATOR}")
                self.best = report[self.ranked]
            if self.keep_candidates:
                saving["bytes"] += keep_stored_candidates(self.storage, event, self.plan, Path(folder), saved)
            saving["bytes"] += local_bytes(self.storage.trial_working_directory)  # Ray copies the folder whole
            self.storage.persist_artifacts(force=True)
        if not (event.checkpoint_due or (own_best and self.checkpoint_best)):
            tune.report(report)
            return
        with tempfile.TemporaryDirectory() as folder:
            with timed(saving):
                saving["bytes"] += event.write_checkpoint(folder).stat().st_size
            with timing_uploads(self.storage, saving):
                tune.report(report, checkpoint=tune.Checkpoint.from_directory(folder))


NOISY_LOGGERS = ("ray.train", "ray.tune")  # "Checkpoint successfully created at ...", "Restored on ..."


def train_gan(config: dict, data: Prepared, settings: TrialSettings) -> None:
    torch.set_num_threads(settings.threads)  # trials share a node's cores; torch would take all of them
    sys.unraisablehook = quiet_system_exit
    if settings.quiet:
        for name in NOISY_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
    device = pick_device("auto")
    gan_config = GANConfig.from_dict({**settings.base_config, **config}, source="trial config")
    trainer = GANTrainer(gan_config, data.train, device)
    placement = {"device": device.type, "node_id": ray.get_runtime_context().get_node_id(), "pid": os.getpid()}
    face = TuneFace(settings.plan, placement, settings.start_from, settings.checkpoint_best, settings.keep_candidates)
    try:
        run_loop(trainer, settings.plan, data.measurer, face)
    finally:
        face.close()


def quiet_system_exit(unraisable) -> None:
    """``sys.unraisablehook`` of a trial's process.  A search stopped by Ctrl-C kills the trials still busy
    between reports, and Ray turns that SIGTERM into SystemExit wherever the process is: inside a weakref
    callback or ``__del__`` Python can only print it ("Exception ignored in ... Traceback ... SystemExit"), into
    the driver's output.  That one is left out; any other exception is printed as Python does."""
    if not issubclass(unraisable.exc_type, SystemExit):
        sys.__unraisablehook__(unraisable)


def resident_mb() -> float:
    """This process's resident memory in MiB (Linux ``/proc``; 0.0 where it cannot be read)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
