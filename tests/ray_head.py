"""A Ray head started by a test: ``ray start --head --block`` as a child process group.

Other Ray sessions on the machine are never touched: the head gets free ports, its own
short temp dir (Unix socket paths are limited to about 100 characters) and its own token,
and it is ended by killing the processes that name that temp dir, never by ``ray stop``.
Token authentication is on, as on a cluster that ``ray start --head`` made with a token:
clients get ``RAY_AUTH_MODE=token`` and ``RAY_AUTH_TOKEN`` through :attr:`Head.env`.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

BIN = Path(sys.executable).parent  # ray, and the python that job drivers find on PATH
# For a head these tests start and end: on SIGTERM, Ray (2.60 here) first asks its GCS to drain the node, for up to
# 30 s; the SIGTERM to the head's process group has already ended that GCS, so the head sat out all 30 s before
# it stopped. A head that no test expects to drain stops at once with this.
NO_DRAIN = {"RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Head:
    address: str  # HOST:PORT of the GCS
    dashboard: str | None  # http://127.0.0.1:PORT (the job server), when started with one
    env: dict  # for clients: the token, and PATH with this interpreter's bin first
    temp_dir: Path

    @property
    def logs(self) -> Path:
        return self.temp_dir / "session_latest" / "logs"

    def nodes(self) -> list[dict]:
        """``ray.nodes()`` of the cluster (dead nodes too), asked by a separate client process."""
        script = ("import json, ray; ray.init(address=%r, logging_level='ERROR'); "
                  "print('NODES ' + json.dumps(ray.nodes()))" % self.address)
        done = subprocess.run([sys.executable, "-c", script], env=self.env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        line = next(line for line in done.stdout.splitlines() if line.startswith("NODES "))
        return json.loads(line.removeprefix("NODES "))


@contextmanager
def ray_head(work: Path, autoscaling_config: dict | None = None, dashboard: bool = False,
             num_cpus: int = 0, num_gpus: int = 0):
    """Start a head; with ``autoscaling_config`` (a ``fake_multinode`` config) Ray's autoscaler runs on it."""
    port = free_port()
    temp_dir = Path(tempfile.mkdtemp(prefix="rg"))
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16),
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [str(BIN / "ray"), "start", "--head", "--block", f"--port={port}", "--node-ip-address=127.0.0.1",
               f"--num-cpus={num_cpus}", f"--num-gpus={num_gpus}", f"--temp-dir={temp_dir}",
               f"--ray-client-server-port={free_port()}", f"--dashboard-agent-listen-port={free_port()}",
               f"--include-dashboard={str(dashboard).lower()}"]
    dashboard_url = None
    if dashboard:
        dashboard_port = free_port()
        command += ["--dashboard-host=127.0.0.1", f"--dashboard-port={dashboard_port}"]
        dashboard_url = f"http://127.0.0.1:{dashboard_port}"
    head_env = {**env, **NO_DRAIN}
    if autoscaling_config is not None:
        config = json.loads(json.dumps(autoscaling_config))
        config["provider"]["gcs_address"] = f"127.0.0.1:{port}"  # where fake workers join (default :6379)
        config_file = work / "autoscaling.yaml"
        config_file.write_text(yaml.safe_dump(config))
        command.append(f"--autoscaling-config={config_file}")
        head_env.update(RAY_FAKE_CLUSTER="1", AUTOSCALER_UPDATE_INTERVAL_S="1")
    log = (work / "head.log").open("w")
    process = subprocess.Popen(command, env=head_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while "Ray runtime started" not in (work / "head.log").read_text():  # (pytest-timeout ends a hang)
            assert process.poll() is None, (work / "head.log").read_text()[-3000:]
            time.sleep(0.5)
        yield Head(f"127.0.0.1:{port}", dashboard_url, env, temp_dir)
    finally:
        _end(process, temp_dir)
        log.close()
        shutil.rmtree(temp_dir, ignore_errors=True)


def _end(process: subprocess.Popen, temp_dir: Path) -> None:
    """SIGTERM the head's process group, then SIGKILL whatever still names its temp dir (fake workers too)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    for pid in _pids_naming(str(temp_dir)) + ([process.pid] if process.poll() is None else []):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait(timeout=20)


def _pids_naming(text: str) -> list[int]:
    pids = []
    for entry in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in entry.read_bytes().decode(errors="replace") and int(entry.parent.name) != os.getpid():
                pids.append(int(entry.parent.name))
        except (OSError, ValueError):
            continue
    return pids
