"""What each trial asks Ray for, and how many trials run at once.

Defaults come from the largest of two clusters: the nodes up now, and on an autoscaling
cluster the most its autoscaler can grow to (:mod:`.autoscaler`), so a search started on
a GPU cluster's CPU head, before any GPU worker exists, still asks for GPU shares and runs
as many trials as the GPU workers will fit.
"""
from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

import ray

from raygan.tuning.autoscaler import autoscaling_config, largest_cluster
from raygan.tuning.ray_session import cluster_address

if TYPE_CHECKING:
    from raygan.tuning.options import SearchOptions

# GPU share per trial when the cluster has (or can get) GPUs and --gpus-per-trial is not
# given: a small GAN trial leaves most of a GPU idle, so two share one. A guess until
# measured: bench/gpu_share.py measures it, bench/RESULTS.md says what is known.
GPU_SHARE_DEFAULT = 0.5


def trial_resources(options: SearchOptions) -> tuple[dict, int]:
    """Per-trial resources and the concurrency limit, defaulting to what the cluster fits or can grow to."""
    return plan_trials(alive_nodes(), cluster_config(options), options.cpus_per_trial, options.gpus_per_trial,
                       options.max_concurrent)


def cluster_config(options: SearchOptions) -> dict | None:
    """The autoscaling config of the cluster the search runs on, if any (:mod:`.autoscaler`)."""
    joined = cluster_address(options.address) is not None
    return autoscaling_config(ray.get_runtime_context().gcs_address if joined else None, options.cluster_config)


def plan_trials(up: list[dict], config: dict | None, cpus_per_trial: float, gpus_per_trial: float | None,
                max_concurrent: int | None) -> tuple[dict, int]:
    """:func:`trial_resources` without Ray: ``up`` are the live nodes' resources, ``config`` the autoscaler's."""
    grown = largest_cluster(config) if config else []
    gpus = gpus_per_trial
    if gpus is None:
        gpus = GPU_SHARE_DEFAULT if _any_gpu(up + grown) else 0.0
    trial = {"cpu": cpus_per_trial, "gpu": gpus}
    if gpus > 0 and not _any_gpu(up):
        log = logging.getLogger(__name__)
        if _any_gpu(grown):
            log.info("no GPU worker up yet; the autoscaler starts them for the waiting trials")
        else:
            log.warning("no GPU in the cluster, and no autoscaler node type has one: trials wait for a GPU node")
    concurrent = max_concurrent
    if concurrent is None:
        def fit(node: dict) -> int:
            return trials_on(node, trial)

        largest = largest_cluster(config, rank=fit) if config else []
        concurrent = max(1, sum(map(fit, up)), sum(map(fit, largest)))
    return trial, concurrent


def _any_gpu(nodes: list[dict]) -> bool:
    return any(node.get("GPU", 0) > 0 for node in nodes)


def trials_on(node: dict, trial: dict) -> int:
    """How many trials asking ``trial`` (``cpu``, ``gpu``) one node with ``node``'s resources runs at once."""
    fits = [node.get("CPU", 0) / trial["cpu"]]
    if trial["gpu"] > 0:
        fits.append(node.get("GPU", 0) / trial["gpu"])
    return int(math.floor(min(fits) + 1e-9))


def describe(trial: dict, concurrent: int) -> str:
    """``1 CPU and 0.5 GPU per trial, at most 4 at once``: the line the search prints."""
    return f"{trial['cpu']:g} CPU and {trial['gpu']:g} GPU per trial, at most {concurrent} at once"


def alive_nodes() -> list[dict]:
    return [node["Resources"] for node in ray.nodes() if node.get("Alive")]


def torch_threads(cpus: float) -> int:
    """The torch threads of a trial that asked for ``cpus`` CPUs: one per whole CPU, one at least (half a CPU
    per trial is a valid request; torch refuses zero threads)."""
    return max(1, int(cpus))


def final_run_resources(trial: dict, options: SearchOptions) -> dict:
    """What the final run asks for: a whole GPU if trials used one, and every CPU of the largest node
    (up now, or that the autoscaler can start).

    It runs alone, so the cores the search's trials shared are all its own (as torch threads).
    """
    needs_gpu = trial["gpu"] > 0
    config = cluster_config(options)
    nodes = [node for node in alive_nodes() + (largest_cluster(config) if config else [])
             if node.get("GPU", 0) > 0 or not needs_gpu]
    cpus = max((node.get("CPU", 0) for node in nodes), default=trial["cpu"])
    return {"cpu": max(trial["cpu"], cpus), "gpu": 1.0 if needs_gpu else 0.0}
