"""What a trial saves to storage at its reports, and what that costs it.

A trial (:class:`~raygan.tuning.trainable.TuneFace`) saves into its folder in the experiment's storage:

- its **best generator** (``best_generator.safetensors``) whenever its metric (its ranked value under a
  search's constraints: :mod:`raygan.constraints`) improves on the best of
  *its own* reports (the ones Tune records for it, which the summary's row and the export go by; under
  PBT an exploiting trial's history is its donor's, so its own best comes back from storage here);
- its **artifacts**, the report's sample grid and TensorBoard events, which Ray copies whole from the
  trial's working folder;
- a **checkpoint** (``trainer.pt``) when a run needs one to go on from: see
  :class:`~raygan.tuning.trainable.TrialSettings` for which;
- in the search's final run, its **candidates** (``candidates/kimg_NNNNNNNNN.safetensors``): the generators of
  its best few reports and of its last, among which the export is chosen on ``final_num`` samples
  (:mod:`raygan.candidates`, :func:`raygan.tuning.best.choose_export`).

Each report says what it wrote and how long that took as ``saving: {"bytes": ..., "seconds": ...}``.
Tune uploads a reported checkpoint inside ``tune.report``, after copying the report (a shallow copy,
so the ``saving`` dict is shared): :func:`timing_uploads` adds the upload to that same dict before
the report leaves the trial.
"""
from __future__ import annotations

import posixpath
import time
from contextlib import contextmanager
from pathlib import Path

from raygan.candidates import candidate_name, wanted_candidates
from raygan.constraints import ranked_value
from raygan.generator_file import read_metadata
from raygan.layout import BEST_GENERATOR, CANDIDATES_DIR
from raygan.records import finite_or_big
from raygan.tuning.storage import fetched, file_sizes, upload

SAVING = "saving"  # the report key of what the report saved: {"bytes": ..., "seconds": ...}


def new_record() -> dict:
    return {"bytes": 0, "seconds": 0.0}


@contextmanager
def timed(record: dict):
    """Add the seconds the ``with`` block takes to ``record``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        record["seconds"] += time.perf_counter() - start


@contextmanager
def timing_uploads(storage, record: dict):
    """Inside the block, add the seconds Tune takes to upload a reported checkpoint (``storage``'s
    ``persist_current_checkpoint``, which ``tune.report`` calls before it hands the report on) to ``record``."""
    persist = storage.persist_current_checkpoint

    def persist_timed(checkpoint):
        with timed(record):
            return persist(checkpoint)

    storage.persist_current_checkpoint = persist_timed
    try:
        yield
    finally:
        del storage.persist_current_checkpoint  # the class's own method again


def stored_best(storage, plan) -> float | None:
    """The ranked value (``plan.ranked``: the metric, or with constraints its ranked value) of the best generator in
    the trial's folder in storage as Tune recorded it (finite), or None if it has none."""
    with fetched(storage.storage_filesystem, f"{storage.trial_fs_path}/{BEST_GENERATOR}") as path:
        if path is None:
            return None
        record = read_metadata(path).get("metrics") or {}
    return finite_or_big({"best": ranked_value(record, plan.metric, plan.mode, plan.constraints)})["best"]


def keep_stored_candidates(storage, event, plan, folder: Path, written: Path | None = None) -> int:
    """After a report: upload its generator to the trial's ``candidates/`` in storage if it is among the best
    reports or the last, and delete the files of those that no longer are; returns the bytes uploaded.  The
    generator is written in the local ``folder`` unless the report's best generator was (``written``).  Only the
    trial's own reports count: the history it continued (the search trial's) left no files here."""
    own_history = [report for report in event.history if report.get("trial") == event.report.get("trial")]
    wanted = wanted_candidates(own_history, plan.ranked, plan.mode, last=event.last)
    remote = f"{storage.trial_fs_path}/{CANDIDATES_DIR}"
    own = candidate_name(event.report["kimg"])
    sent = 0
    if own in wanted:
        local = written or event.write_generator(folder / own, with_raw=True)
        sent = upload(local, storage.storage_filesystem, f"{remote}/{own}")
    for name in file_sizes(storage.storage_filesystem, remote):
        if name not in wanted and not name.startswith("."):
            storage.storage_filesystem.delete_file(posixpath.join(remote, name))
    return sent
