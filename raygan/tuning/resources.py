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


def final_run_resources(trial: dict) -> dict:
    """What the final run asks for: a whole GPU if trials used one, and every CPU of the largest node.

    It runs alone, so the cores the search's trials shared are all its own (as torch threads).
    """
    needs_gpu = trial["gpu"] > 0
    nodes = [node["Resources"] for node in ray.nodes()
             if node.get("Alive") and (node["Resources"].get("GPU", 0) > 0 or not needs_gpu)]
    cpus = max((node.get("CPU", 0) for node in nodes), default=trial["cpu"])
    return {"cpu": max(trial["cpu"], cpus), "gpu": 1.0 if needs_gpu else 0.0}
