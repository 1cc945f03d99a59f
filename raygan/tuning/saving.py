"""What a trial saves to storage at its reports, and what that costs it.

A trial (:class:`~raygan.tuning.trainable.TuneFace`) saves into its folder in the experiment's storage:

- its **best generator** (``best_generator.safetensors``) whenever its metric (its ranked value under a
  search's constraints: :mod:`raygan.constraints`) improves on the best of
  *its own* reports (the ones Tune records for it, which the summary's row and the export go by; under
  PBT an exploiting trial's history is its donor's, so its own best comes back from storage here);
- its **artifacts**, the report's sample grid and TensorBoard events, which Ray copies whole from the
  trial's working folder;
- a **checkpoint** (``trainer.pt``) when a run needs one to go on from: see
  :class:`~raygan.tuning.trainable.TrialSettings` for which.

Each report says what it wrote and how long that took as ``saving: {"bytes": ..., "seconds": ...}``.
Tune uploads a reported checkpoint inside ``tune.report``, after copying the report (a shallow copy,
so the ``saving`` dict is shared): :func:`timing_uploads` adds the upload to that same dict before
the report leaves the trial.
"""
from __future__ import annotations

import time
from contextlib import contextmanager

from raygan.constraints import ranked_value
from raygan.generator_file import read_metadata
from raygan.layout import BEST_GENERATOR
from raygan.records import finite_or_big
from raygan.tuning.storage import fetched

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
