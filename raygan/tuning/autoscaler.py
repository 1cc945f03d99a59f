"""The nodes an autoscaling cluster can grow to, from the config its autoscaler runs with.

On a cluster from ``ray up cluster.yaml`` the GPU workers do not exist until trials wait
for them, so the nodes that are up say nothing about the GPU share or the concurrency a
search should default to.  The autoscaler's node types do.  Ray 2.60's autoscaler (v1)
does not publish them to the GCS (its ``ClusterConfig`` entry stays empty), so
:func:`autoscaling_config` reads the config file, the first of:

1. ``--cluster-config FILE`` (``SearchOptions.cluster_config``);
2. the file named by ``$RAYGAN_CLUSTER_CONFIG``;
3. ``~/ray_bootstrap_config.yaml``: ``ray up`` copies the cluster's config there on the head
   (Ray's ``autoscaler/_private/commands.py``) and starts the head's autoscaler with it;
4. the ``--autoscaling-config`` argument of the autoscaler process serving this cluster's
   GCS, for a head started by hand (``ray start --head --autoscaling-config=FILE``).

The first two are the user's word, so a missing or malformed file is an error.  The last two
count only for a search that joined a running cluster (not a Ray of its own, which no
autoscaler scales) from its head (``ray exec``, ``ray job submit``, ``--address auto``);
elsewhere, and on clusters without an autoscaler, there is no config and the defaults come
from the nodes up.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

import yaml

from raygan.errors import RayganError, first_line

CONFIG_ENV = "RAYGAN_CLUSTER_CONFIG"
BOOTSTRAP_CONFIG = Path("~/ray_bootstrap_config.yaml")  # where `ray up` puts the config on the head
MONITOR_SCRIPT = "autoscaler/_private/monitor.py"  # Ray's autoscaler process on the head
PROC = Path("/proc")


def autoscaling_config(gcs_address: str | None, given: str | None = None, *, environ: Mapping[str, str] = os.environ,
                       bootstrap: Path = BOOTSTRAP_CONFIG, proc: Path = PROC) -> dict | None:
    """The autoscaling config of the cluster a search runs on, or None (see the module's order).

    ``gcs_address`` is the GCS of the running cluster the search joined, None for a Ray of its own.
    """
    explicit = explicit_config(given, environ)
    if explicit is not None or gcs_address is None:
        return explicit
    return _read_or_none(bootstrap.expanduser()) or _monitor_config(gcs_address, proc)


def explicit_config(given: str | None, environ: Mapping[str, str] = os.environ) -> dict | None:
    """The config that ``--cluster-config`` (``given``), else ``$RAYGAN_CLUSTER_CONFIG``, names, or None
    if neither does; a one-line error for a file that is missing or not a cluster config."""
    source, path = ("cluster_config", given) if given else (f"${CONFIG_ENV}", environ.get(CONFIG_ENV))
    if not path:
        return None
    path = Path(path).expanduser()
    fix = "give the cluster config that `ray up` starts the cluster from (e.g. cluster.yaml)"
    try:
        config = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise RayganError(f"{source} {path} does not exist; {fix}", fields="cluster_config") from None
    except OSError as err:
        raise RayganError(f"{source} {path}: cannot read it ({err.strerror}); {fix}", fields="cluster_config") from None
    except yaml.YAMLError as err:
        raise RayganError(f"{source} {path} is not valid YAML ({first_line(err)}); {fix}",
                          fields="cluster_config") from None
    if not isinstance(config, dict) or not isinstance(config.get("available_node_types"), dict):
        raise RayganError(f"{source} {path} has no available_node_types; {fix}", fields="cluster_config")
    return config


def _monitor_config(gcs_address: str, proc: Path) -> dict | None:
    """The config of the autoscaler serving the GCS at ``gcs_address``, if it runs on this machine."""
    for args in _command_lines(proc):
        if not any(arg.endswith(MONITOR_SCRIPT) for arg in args) or f"--gcs-address={gcs_address}" not in args:
            continue
        path = next((arg.split("=", 1)[1] for arg in args if arg.startswith("--autoscaling-config=")), None)
        if path is None:
            return None  # a plain `ray start --head` or ray.init(): its monitor scales nothing
        return _read_or_none(Path(path).expanduser())
    return None


def _read_or_none(path: Path) -> dict | None:
    """The YAML mapping in ``path``; None where there is none (a config found, not given: no error)."""
    try:
        config = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return None
    return config if isinstance(config, dict) else None


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
