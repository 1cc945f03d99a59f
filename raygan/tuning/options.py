"""What a search is asked to do beyond its space: trials, resources, where it lives, how it reports.

``python -m raygan.search`` builds one from its flags; the driver, the Tuner, the experiment's
location and the resource defaults read it.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SearchOptions:
    num_samples: int | None = 8  # None: as many as --time-budget allows
    max_concurrent: int | None = None
    cpus_per_trial: float = 1.0
    gpus_per_trial: float | None = None  # None: GPU_SHARE_DEFAULT if the cluster has GPUs, else 0
    address: str | None = None
    storage_path: str = "runs"
    name: str = "search"
    resume: bool = False
    seed: int = 0
    study_db: str | None = None
    max_failures: int = 2
    verbose: int = 1
    time_budget_s: float | None = None  # the whole search's wall time (search phase and final run)
    command: str | None = None  # the command line that started the search (for report.html)
    mlflow_uri: str | None = None  # also log every trial to this MLflow tracking URI
    cluster_config: str | None = None  # the autoscaler's config file (default: found, see tuning.autoscaler)

    @property
    def unbounded(self) -> bool:
        """No trial count given: sample until the time budget runs out."""
        return self.num_samples is None
