"""The nodes an autoscaling cluster can grow to, from the config its autoscaler runs with.

On a cluster from ``ray up cluster.yaml`` the GPU workers do not exist until trials wait
for them, so the nodes that are up say nothing about the GPU share or the concurrency a
search should default to.  The autoscaler's node types do.  Ray 2.60's autoscaler (v1)
does not publish them to the GCS (its ``ClusterConfig`` entry stays empty), so this reads
the YAML file the head's autoscaler was started with: the ``--autoscaling-config`` argument
of the monitor process serving this cluster's GCS address.  That works where the driver
runs on the head (``ray exec``, ``ray job submit``, ``--address auto``); elsewhere, and on
clusters without an autoscaler, there is no config and the defaults come from the nodes up.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import yaml

MONITOR_SCRIPT = "autoscaler/_private/monitor.py"  # Ray's autoscaler process on the head
PROC = Path("/proc")


def autoscaling_config(gcs_address: str, proc: Path = PROC) -> dict | None:
    """The autoscaling config of the cluster whose GCS is at ``gcs_address``, if its autoscaler runs here."""
    for args in _command_lines(proc):
        if not any(arg.endswith(MONITOR_SCRIPT) for arg in args) or f"--gcs-address={gcs_address}" not in args:
            continue
        path = next((arg.split("=", 1)[1] for arg in args if arg.startswith("--autoscaling-config=")), None)
        if path is None:
            return None  # a plain `ray start --head` or ray.init(): its monitor scales nothing
        try:
            return yaml.safe_load(Path(os.path.expanduser(path)).read_text())
        except (OSError, yaml.YAMLError):
            return None
    return None


def _command_lines(proc: Path):
    for entry in proc.glob("[0-9]*/cmdline"):
        try:
            yield entry.read_bytes().decode(errors="replace").split("\0")
        except OSError:  # a process that ended while we looked, or one we may not read
            continue


def largest_cluster(config: dict, rank: Callable[[dict], float] | None = None) -> list[dict]:
    """The resources of every node of the largest cluster ``config`` allows: the head, and
    each worker type up to its ``max_workers``, at most the config's ``max_workers`` workers
    in all; where that cap bites, the workers ranked highest by ``rank(resources)`` (the trials
    they fit) are kept."""
    types = config.get("available_node_types") or {}
    head = config.get("head_node_type")
    cap = config.get("max_workers")  # a type without its own max_workers may use them all, as in Ray
    workers = [dict(spec.get("resources") or {}) for name, spec in types.items() if name != head
               for _ in range(int(spec.get("max_workers", cap or 0)))]
    if rank is not None:
        workers.sort(key=rank, reverse=True)
    if cap is not None:
        workers = workers[:int(cap)]
    head_resources = [dict((types.get(head) or {}).get("resources") or {})] if head in types else []
    return head_resources + workers
