"""MLflow tracking for a search: ``--mlflow-uri URI`` (``pip install 'raygan[mlflow]'``).

Every trial of both phases becomes one MLflow run in the experiment named after the search,
through Ray's own :class:`~ray.air.integrations.mlflow.MLflowLoggerCallback` (parameters, and
every report's numbers as metrics at each report), plus, when the trial ends, its sample
grids (``samples/``) as artifacts.  The exported generator is then attached to the run of
the trial it came from.  Runs are tagged ``raygan_trial`` with the trial id the summary uses.
"""
from __future__ import annotations

import os
from pathlib import Path

from raygan.errors import RayganError

TRIAL_TAG = "raygan_trial"
SAMPLES = "samples"  # the trial folder's sample grids (written by the trainable, one per report)


def prepare_mlflow(uri: str) -> None:
    """Before Ray starts: a one-line error when MLflow is missing; a local file store allowed.

    MLflow 3 keeps its file store in maintenance and refuses it unless
    ``MLFLOW_ALLOW_FILE_STORE`` is set; a ``file:`` URI given on the command line is that
    choice made explicitly, so it is set for this process (and the Ray workers it starts).
    """
    try:
        import mlflow  # noqa: F401
    except ImportError:
        raise RayganError(f"--mlflow-uri {uri} needs MLflow: pip install 'raygan[mlflow]'") from None
    if uri.startswith("file:"):
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")


def mlflow_callback(uri: str, experiment: str):
    """Ray Tune's MLflow callback, tagging runs with the trial id and logging sample grids at a trial's end."""
    from ray.air.integrations.mlflow import MLflowLoggerCallback

    class SearchMLflowCallback(MLflowLoggerCallback):
        def log_trial_start(self, trial):
            self.tags = {TRIAL_TAG: trial.trial_id}
            super().log_trial_start(trial)

        def log_trial_end(self, trial, failed: bool = False):
            from mlflow.tracking import MlflowClient

            samples = Path(trial.path) / SAMPLES  # the synced trial folder (local storage; none on S3)
            if samples.is_dir():
                MlflowClient(self.tracking_uri).log_artifacts(self._trial_runs[trial], str(samples),
                                                              artifact_path=SAMPLES)
            super().log_trial_end(trial, failed)

    return SearchMLflowCallback(tracking_uri=uri, experiment_name=experiment)


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
