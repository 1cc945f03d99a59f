"""What each trial asks Ray for, and how many trials run at once."""
from __future__ import annotations

import logging

import ray

# GPU share per trial when the cluster has GPUs and --gpus-per-trial is not given: a small
# GAN trial leaves most of a GPU idle, so two share one.
GPU_SHARE_DEFAULT = 0.5


def trial_resources(cpus_per_trial: float, gpus_per_trial: float | None,
                    max_concurrent: int | None) -> tuple[dict, int]:
    """Per-trial resources and the concurrency limit, defaulting to what the cluster fits."""
    cluster = ray.cluster_resources()
    gpus = gpus_per_trial
    if gpus is None:
        gpus = GPU_SHARE_DEFAULT if cluster.get("GPU", 0) > 0 else 0.0
    if gpus > 0 and cluster.get("GPU", 0) == 0:
        logging.getLogger(__name__).warning("no GPU in the cluster yet; trials wait for one (autoscaling?)")
    concurrent = max_concurrent
    if concurrent is None:
        fits = [cluster.get("CPU", 0) / cpus_per_trial]
        if gpus > 0:
            fits.append(cluster.get("GPU", 0) / gpus)
        concurrent = max(1, int(min(fits) + 1e-9))
    return {"cpu": cpus_per_trial, "gpu": gpus}, concurrent
