"""Starting or joining Ray fails in seconds with the fix, whatever Ray left behind on the machine."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from raygan.errors import RayganError
from raygan.tuning import ray_session


@pytest.fixture
def ray_tmpdir():
    """A short private RAY_TMPDIR (Ray's socket paths must stay under ~100 characters)."""
    folder = Path(tempfile.mkdtemp(prefix="rg"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_embedded_ray_ignores_a_dead_clusters_leftover_pointer(ray_tmpdir):
    """Ray's "current cluster" file names a cluster that died: ray.init() would wait on it for minutes."""
    (ray_tmpdir / "ray").mkdir()
    (ray_tmpdir / "ray" / "ray_current_cluster").write_text(f"127.0.0.1:{_free_port()}")
    script = ("import ray; from raygan.tuning.ray_session import start_ray; assert start_ray(None); "
              "print(ray.cluster_resources()['CPU']); ray.shutdown()")
    started = time.time()
    done = subprocess.run([sys.executable, "-c", script], env={**os.environ, "RAY_TMPDIR": str(ray_tmpdir)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert float(done.stdout.strip().splitlines()[-1]) > 0 and time.time() - started < 60


def test_a_port_that_is_not_ray_fails_in_seconds(monkeypatch):
    monkeypatch.setattr(ray_session, "PROBE_SECONDS", 2)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        address = f"127.0.0.1:{server.getsockname()[1]}"
        started = time.time()
        with pytest.raises(RayganError, match="not a Ray cluster") as err:
            ray_session.start_ray(address)
        assert time.time() - started < 10 and "\n" not in str(err.value)


def test_nothing_listening_and_malformed_addresses(monkeypatch):
    with pytest.raises(RayganError, match="no Ray cluster at --address"):
        ray_session.start_ray(f"127.0.0.1:{_free_port()}")
    with pytest.raises(RayganError, match="not HOST:PORT"):
        ray_session.start_ray("127.0.0.1:http")


@pytest.mark.slow
def test_a_cluster_with_token_authentication_names_the_fix(ray_tmpdir):
    """A real head node started with RAY_AUTH_MODE=token refuses a client without the token."""
    home = ray_tmpdir / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "RAY_TMPDIR": str(ray_tmpdir), "RAY_AUTH_MODE": "token"}
    ray_cli = str(Path(sys.executable).parent / "ray")
    subprocess.run([ray_cli, "get-auth-token", "--generate"], env=env, capture_output=True, check=True, timeout=60)
    port = _free_port()
    head = subprocess.Popen([ray_cli, "start", "--head", f"--port={port}", "--num-cpus=0", "--include-dashboard=false",
                             "--disable-usage-stats", "--block"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        started = time.time()
        with pytest.raises(RayganError, match="requires token authentication") as err:
            ray_session.probe(f"127.0.0.1:{port}")
        assert "RAY_AUTH_MODE=token" in str(err.value) and time.time() - started < 15
    finally:
        os.killpg(head.pid, signal.SIGTERM)  # the head and everything it started, nothing else
        try:
            head.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()
