"""Starting or joining Ray, failing in seconds with the fix instead of waiting for minutes.

Two traps this avoids: ``ray.init()`` with no address follows Ray's leftover "current
cluster" pointer (``/tmp/ray/ray_current_cluster``) to a cluster that may have died long
ago, and then retries for minutes; and a cluster with token authentication refuses a
client without the token, which ``ray.init`` reports only as "failed to connect".  So an
embedded Ray is always a new local instance (``address="local"``), and an address is
probed (TCP, then one GCS request) before ``ray.init`` is trusted with it.  An explicit
``RAY_ADDRESS`` (which Ray sets for a job's driver, ``ray job submit``) counts as ``--address``.

The probe must speak the same authentication as ``ray.init`` will: Ray (2.60, at least) turns
token authentication on for ``--address auto`` when this machine has a token (``ray start
--head`` does the same for the head, and every embedded ``ray.init`` writes one to
``~/.ray/auth_token``), so a head started after any local search needs the token, and the
client finds it without ``RAY_AUTH_MODE``.  Ray warns about token authentication on every
start ("Token authentication is enabled for this Ray cluster ..."); ``quiet`` drops that warning.
"""
from __future__ import annotations

import logging
import os
import socket
import threading

import ray

from raygan.errors import RayganError, first_line

PROBE_SECONDS = 10
TOKEN_LOGGER = "ray._private.authentication.authentication_token_setup"  # its warning on every start
_START_A_CLUSTER = "start one with 'ray start --head' or 'ray up cluster.yaml', or drop address to run locally"
_GIVE_THE_TOKEN = ("give this machine the cluster's token (~/.ray/auth_token, RAY_AUTH_TOKEN_PATH or "
                   "RAY_AUTH_TOKEN; 'ray get-auth-token' on the head prints it)")
_TOKEN_FIX = f"set RAY_AUTH_MODE=token and {_GIVE_THE_TOKEN}"


def cluster_address(address: str | None) -> str | None:
    """The running cluster a search joins: ``address`` (--address), else ``$RAY_ADDRESS``; None (or
    ``local``): none, the search starts a Ray of its own."""
    address = address or os.environ.get("RAY_ADDRESS") or None
    return None if address == "local" else address


def start_ray(address: str | None, quiet: bool = False) -> bool:
    """Connect to ``address`` or start a new local Ray (dashboard off); True if this call started it.

    ``quiet``: without Ray's warning about token authentication (raygan's ``--verbose`` below 2).
    """
    if ray.is_initialized():
        return False
    token_log = logging.getLogger(TOKEN_LOGGER)
    if quiet:
        token_log.addFilter(_not_a_warning)
    try:
        return _start_ray(cluster_address(address))
    finally:
        token_log.removeFilter(_not_a_warning)


def _not_a_warning(record: logging.LogRecord) -> bool:
    return record.levelno != logging.WARNING


def _start_ray(address: str | None) -> bool:
    """:func:`start_ray` with the cluster's address resolved (None: a new local Ray)."""
    if address is None:
        ray.init(address="local", include_dashboard=False, logging_level=logging.WARNING)
        return True
    _authenticate_as_ray_init_will(address)
    if "://" not in address:
        probe(_resolve(address))
    try:
        ray.init(address=address, logging_level=logging.WARNING)
    except ConnectionError:
        raise RayganError(f"no Ray cluster found at address {address}; {_START_A_CLUSTER}", fields="address") from None
    except Exception as err:  # noqa: BLE001 - version mismatch, a refused ray:// client, ...: one line, not a traceback
        raise RayganError(f"cannot join the Ray cluster at address {address} ({first_line(err)}); "
                          f"{_START_A_CLUSTER}", fields="address") from None
    return True


def _authenticate_as_ray_init_will(address: str) -> None:
    """Turn token authentication on where ``ray.init(address)`` will, and refuse token mode without a token.

    Without a token, Ray's C++ client aborts the whole process (a core dump, not an exception).
    """
    try:
        from ray._private.authentication.authentication_token_setup import maybe_enable_token_auth_if_token_available
        from ray._raylet import AuthenticationMode, AuthenticationTokenLoader, get_authentication_mode
    except ImportError:  # a Ray without token authentication
        return
    if address == "auto":
        maybe_enable_token_auth_if_token_available(warn_if_disabled=False)
    if (get_authentication_mode() == AuthenticationMode.TOKEN
            and not AuthenticationTokenLoader.instance().has_token(ignore_auth_mode=True)):
        raise RayganError(f"RAY_AUTH_MODE=token is set but this machine has no Ray token; {_GIVE_THE_TOKEN}, "
                          "or unset RAY_AUTH_MODE if the cluster has no token")


def _resolve(address: str) -> str:
    """HOST:PORT for ``address``; ``auto`` is the cluster this machine last started or joined."""
    if address != "auto":
        return address
    from ray._private.services import canonicalize_bootstrap_address

    try:
        resolved = canonicalize_bootstrap_address("auto")
    except (ConnectionError, ValueError):
        resolved = None
    if not resolved:
        raise RayganError(f"address auto found no Ray cluster started on this machine; {_START_A_CLUSTER}",
                          fields="address")
    return resolved


def probe(address: str) -> None:
    """Fail fast unless a Ray cluster that accepts this client answers at HOST:PORT."""
    host, sep, port = address.rpartition(":")
    if not sep:
        host, port = address, "6379"
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except ValueError:
        raise RayganError(f"address {address} is not HOST:PORT or 'auto'; e.g. address 10.0.0.5:6379",
                          fields="address") from None
    except OSError as err:
        raise RayganError(f"no Ray cluster at address {address} ({err.strerror or err}); "
                          f"{_START_A_CLUSTER}", fields="address") from None
    outcome: list[BaseException | None] = []

    def ask_gcs() -> None:
        from ray._raylet import GcsClient

        try:
            GcsClient(address=f"{host}:{port}")
            outcome.append(None)
        except BaseException as err:  # noqa: BLE001 - reported below, whatever it is
            outcome.append(err)

    # The GCS client retries for about a minute when something that is not Ray holds the port:
    # ask from a daemon thread and give up waiting after PROBE_SECONDS.
    thread = threading.Thread(target=ask_gcs, daemon=True)
    thread.start()
    thread.join(PROBE_SECONDS)
    if not outcome:
        raise RayganError(f"something answers at address {address} but it is not a Ray cluster (no reply in "
                          f"{PROBE_SECONDS} s); check the port (Ray's default is 6379) or {_START_A_CLUSTER}",
                          fields="address")
    error = outcome[0]
    if error is None:
        return
    if type(error).__name__ == "AuthenticationError":
        raise RayganError(f"the Ray cluster at address {address} refused this client: it requires token "
                          f"authentication; {_TOKEN_FIX}", fields="address")
    raise RayganError(f"cannot join the Ray cluster at address {address} ({first_line(error)}); "
                      f"{_START_A_CLUSTER}", fields="address")
