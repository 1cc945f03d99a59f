"""Starting or joining Ray fails in seconds with the fix, whatever Ray left behind on the machine."""
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from ray_head import NO_DRAIN, free_port

from raygan.errors import RayganError
from raygan.tuning import ray_session


@pytest.fixture
def ray_tmpdir():
    """A short private RAY_TMPDIR (Ray's socket paths must stay under ~100 characters)."""
    folder = Path(tempfile.mkdtemp(prefix="rg"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


RAY_CLI = str(Path(sys.executable).parent / "ray")


@pytest.mark.slow
def test_embedded_ray_ignores_a_dead_clusters_leftover_pointer(ray_tmpdir):
    """Ray's "current cluster" file names a cluster that died: ray.init() would wait on it for minutes."""
    (ray_tmpdir / "ray").mkdir()
    with socket.socket() as dead:  # bound, never listening: connections refused, and no Ray can take the port
        dead.bind(("127.0.0.1", 0))
        port = dead.getsockname()[1]
        (ray_tmpdir / "ray" / "ray_current_cluster").write_text(f"127.0.0.1:{port}")
        script = ("import ray; from raygan.tuning.ray_session import start_ray; assert start_ray(None); "
                  "print(ray.get_runtime_context().gcs_address, ray.cluster_resources()['CPU']); ray.shutdown()")
        done = subprocess.run([sys.executable, "-c", script], env={**os.environ, "RAY_TMPDIR": str(ray_tmpdir)},
                              capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    # a Ray of its own, and not one attempt at the dead one: Ray names the address in every attempt and retry
    # ("Failed to connect to GCS at address HOST:PORT within 5 seconds", for minutes), with the host resolved
    address, cpus = done.stdout.strip().splitlines()[-1].split()
    assert not address.endswith(f":{port}") and float(cpus) > 0
    assert not re.search(rf":{port}\b", done.stdout + done.stderr), done.stderr[-2000:]


def test_a_port_that_is_not_ray_fails_in_seconds(monkeypatch):
    monkeypatch.setattr(ray_session, "PROBE_SECONDS", 2)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        address = f"127.0.0.1:{server.getsockname()[1]}"
        # given up on after PROBE_SECONDS, not after the GCS client's own minute of retries
        with pytest.raises(RayganError, match=r"not a Ray cluster \(no reply in 2 s\)") as err:
            ray_session.start_ray(address)
        assert "\n" not in str(err.value)


def test_nothing_listening_and_malformed_addresses(monkeypatch):
    with pytest.raises(RayganError, match="no Ray cluster at address"):
        ray_session.start_ray(f"127.0.0.1:{free_port()}")
    with pytest.raises(RayganError, match="not HOST:PORT"):
        ray_session.start_ray("127.0.0.1:http")


@contextlib.contextmanager
def _head_node(env: dict):
    """``ray start --head --block`` on a free port under ``env`` (with its own ``RAY_TMPDIR``); its address once it
    listens and has written itself as the machine's latest cluster (``--address auto`` reads that file, and without
    it falls back to any Ray running here, such as another test's), then it is ended by process group."""
    port = free_port()
    latest = Path(env["RAY_TMPDIR"]) / "ray" / "ray_current_cluster"
    head = subprocess.Popen([RAY_CLI, "start", "--head", f"--port={port}", "--num-cpus=0", "--include-dashboard=false",
                             "--disable-usage-stats", "--block"], env={**env, **NO_DRAIN}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while True:  # (pytest-timeout ends a hang)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                if latest.is_file() and latest.read_text().endswith(f":{port}"):
                    break
            except OSError:
                pass
            assert head.poll() is None, "ray start --head ended before it listened"
            time.sleep(0.5)
        yield f"127.0.0.1:{port}"
    finally:
        os.killpg(head.pid, signal.SIGTERM)  # the head and everything it started, nothing else
        try:
            head.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()


def _with_token(ray_tmpdir: Path) -> dict:
    """An environment whose home holds a fresh Ray token (as after any embedded ray.init), RAY_AUTH_* unset."""
    home = ray_tmpdir / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_AUTH")}
    env.update(HOME=str(home), RAY_TMPDIR=str(ray_tmpdir))
    subprocess.run([RAY_CLI, "get-auth-token", "--generate"], env={**env, "RAY_AUTH_MODE": "token"},
                   capture_output=True, check=True, timeout=60)
    assert (home / ".ray" / "auth_token").is_file()
    return env


_JOIN = ("import ray\nfrom raygan.errors import RayganError\nfrom raygan.tuning.ray_session import start_ray\n"
         "try:\n    start_ray('auto')\nexcept RayganError as err:\n    print(err); raise SystemExit(3)\n"
         "print('joined', ray.cluster_resources().get('CPU', 0)); ray.shutdown()")


@pytest.mark.slow
def test_token_authentication_the_head_turned_on_by_itself(ray_tmpdir):
    """The README's fake-cluster walk-through after a local search: the machine has ~/.ray/auth_token, so a
    plain ``ray start --head`` turns token authentication on. ``--address auto`` joins with no RAY_AUTH_MODE,
    as ``ray.init`` would; a client without the token is refused in one line with the fix; RAY_AUTH_MODE=token
    on a machine without a token is one line, not Ray's core dump."""
    env = _with_token(ray_tmpdir)
    with _head_node(env) as address:
        # the head's own answer, within PROBE_SECONDS (past them the probe would say "not a Ray cluster")
        with pytest.raises(RayganError, match="requires token authentication") as err:
            ray_session.probe(address)  # this process has no token in its environment
        assert "RAY_AUTH_MODE=token" in str(err.value)
        joined = subprocess.run([sys.executable, "-c", _JOIN], env=env, capture_output=True, text=True, timeout=120)
        assert joined.returncode == 0 and joined.stdout.startswith("joined"), joined.stdout + joined.stderr[-2000:]
        tokenless = ray_tmpdir / "tokenless"
        tokenless.mkdir()
        refused = subprocess.run([sys.executable, "-c", _JOIN], capture_output=True, text=True, timeout=120,
                                 env={**env, "HOME": str(tokenless), "RAY_AUTH_MODE": "token"})
    assert refused.returncode == 3, refused.stdout + refused.stderr[-2000:]
    assert refused.stdout.count("\n") == 1 and "has no Ray token" in refused.stdout
