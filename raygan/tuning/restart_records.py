"""A restarted trial keeps every report it made before the failure.

When a trial fails and Tune restarts it (``max_failures``), Tune's JSON and CSV loggers
replace the driver's ``result.json`` and ``progress.csv`` of that trial with the copies on
the storage path, which the driver uploads only with its periodic experiment snapshot (every
10 s or more).  A node that dies between two snapshots thus erased the reports made since the
last one (seen under load in ``tests/test_node_death.py``).  :class:`UploadRecordsBeforeRestart`
uploads the driver's complete copies first, so the loggers restore what was reported.
"""
from __future__ import annotations

import posixpath
from pathlib import Path

from ray import tune
from ray.air.constants import EXPR_PROGRESS_FILE, EXPR_RESULT_FILE

from raygan.tuning.storage import upload

RESTORED_RECORDS = (EXPR_RESULT_FILE, EXPR_PROGRESS_FILE)  # what Tune's loggers copy back on a restart


class UploadRecordsBeforeRestart(tune.Callback):
    """Before a failed trial restarts, its report records on storage become the driver's own (complete) ones."""

    def on_trial_recover(self, iteration, trials, trial, **info):
        for name in RESTORED_RECORDS:
            local = Path(trial.local_path, name)
            if local.is_file():
                upload(local, trial.storage.storage_filesystem, posixpath.join(trial.storage.trial_fs_path, name))
