"""MLflow tracking for a search: ``--mlflow-uri URI`` (``pip install 'raygan[mlflow]'``).

Every trial of both phases becomes one MLflow run in the experiment named after the search,
through Ray's own :class:`~ray.air.integrations.mlflow.MLflowLoggerCallback` (parameters, and
every report's numbers as metrics at each report), plus each report's sample grid
(``samples/kimg_NNNNNNNNN.png``) as an artifact when the report arrives.  The exported
generator is then attached to the run of the trial it came from.  Runs are tagged
``raygan_trial`` with the trial id the summary uses.

The grids come from the trial's folder in the experiment's storage (a local folder or a
bucket), where the trainable has synced each one before sending its report (see
:meth:`raygan.tuning.trainable.TuneFace.publish`), so no grid waits on Ray's background sync.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from raygan.errors import RayganError
from raygan.layout import SAMPLES_DIR, grid_name

TRIAL_TAG = "raygan_trial"


def prepare_mlflow(uri: str) -> None:
    """Before Ray starts: a one-line error when MLflow is missing; a local file store allowed.

    MLflow 3 keeps its file store in maintenance and refuses it unless
    ``MLFLOW_ALLOW_FILE_STORE`` is set; a ``file:`` URI given on the command line is that
    choice made explicitly, so it is set for this process (and the Ray workers it starts).
    """
    try:
        import mlflow  # noqa: F401
    except ImportError:
        raise RayganError(f"mlflow_uri {uri} needs MLflow: pip install 'raygan[mlflow]'", "mlflow_uri") from None
    if uri.startswith("file:"):
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")


def mlflow_callback(uri: str, experiment: str):
    """Ray Tune's MLflow callback, tagging runs with the trial id and logging each report's sample grid."""
    from ray.air.integrations.mlflow import MLflowLoggerCallback

    class SearchMLflowCallback(MLflowLoggerCallback):
        def log_trial_start(self, trial):
            self.tags = {TRIAL_TAG: trial.trial_id}
            super().log_trial_start(trial)

        def log_trial_result(self, iteration: int, trial, result: dict):
            super().log_trial_result(iteration, trial, result)
            if "kimg" in result:
                log_grid(self.tracking_uri, self._trial_runs[trial], trial, grid_name(result["kimg"]))

    return SearchMLflowCallback(tracking_uri=uri, experiment_name=experiment)


def log_grid(uri: str, run_id: str, trial, name: str) -> None:
    """Copy the grid ``name`` from ``trial``'s folder in the experiment's storage into the MLflow run."""
    import pyarrow.fs
    from mlflow.tracking import MlflowClient

    source = f"{trial.path}/{SAMPLES_DIR}/{name}"
    with tempfile.TemporaryDirectory() as folder:
        pyarrow.fs.copy_files(source, str(Path(folder) / name), source_filesystem=trial.storage.storage_filesystem)
        MlflowClient(uri).log_artifact(run_id, str(Path(folder) / name), artifact_path=SAMPLES_DIR)


def log_export(uri: str, experiment: str, trial: str, path) -> None:
    """Attach the exported generator file to the MLflow run of ``trial``."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(uri)
    found = client.get_experiment_by_name(experiment)
    runs = client.search_runs([found.experiment_id], filter_string=f"tags.{TRIAL_TAG} = '{trial}'") if found else []
    if not runs:
        raise RayganError(f"no MLflow run for trial {trial} in experiment {experiment} at {uri}; the export is "
                          "written, only its MLflow copy is missing")
    client.log_artifact(runs[0].info.run_id, str(path))
