"""Shared fixtures: the real datasets every test runs on.

MNIST comes from ``../shared/data/mnist`` beside the repository; Fashion-MNIST from
Debian's ``dataset-fashion-mnist`` package, which ``.ci/run`` installs.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    return REPO.parent / "shared" / "data" / "mnist"


@pytest.fixture(scope="session")
def fashion_dir() -> Path:
    return Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(scope="session")
def tensorboard_runs():
    """Read TensorBoard's view of a folder: {run: (scalar tag -> [(step, value)], image tag -> [step])}."""
    from tensorboard.backend.event_processing.event_multiplexer import EventMultiplexer

    def read(folder) -> dict:
        mux = EventMultiplexer().AddRunsFromDirectory(str(folder))
        mux.Reload()
        runs = {}
        for run, tags in mux.Runs().items():
            events = mux.GetAccumulator(run)
            runs[run] = ({t: [(e.step, e.value) for e in events.Scalars(t)] for t in tags["scalars"]},
                         {t: [e.step for e in events.Images(t)] for t in tags["images"]})
        return runs
    return read


@pytest.fixture(scope="session")
def browser_dom(tmp_path_factory):
    """Open a local HTML file in headless Chromium (Debian's, which .ci/run installs) and return the
    DOM after its load handlers ran."""
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run installs Debian's chromium package")
        pytest.skip("no chromium here (apt-get install chromium)")

    def dom(page: Path) -> str:
        profile = tmp_path_factory.mktemp("chromium-profile")
        # flags: no sandbox as root; no background networking (this machine's network is closed)
        done = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                               "--no-first-run", "--disable-background-networking", "--disable-component-update",
                               "--disable-sync", f"--user-data-dir={profile}", "--virtual-time-budget=5000",
                               "--dump-dom", page.resolve().as_uri()], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout
    return dom


@pytest.fixture(scope="session")
def in_terminal():
    """Run ``python -m ARGS...`` with stderr on a real pty of 100 columns (tqdm draws nothing on a 0-column
    one) and stdout piped; return (what the terminal showed, stdout, exit status)."""
    import fcntl
    import pty
    import struct
    import termios

    def run(args, timeout=300) -> tuple[str, str, int]:
        controller, terminal = pty.openpty()
        fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        process = subprocess.Popen([sys.executable, "-m", *args], stdout=subprocess.PIPE, stderr=terminal, text=True)
        os.close(terminal)
        screen = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the command ended and closed its end of the terminal
                break
            if not chunk:
                break
            screen += chunk
        out, _ = process.communicate(timeout=timeout)
        os.close(controller)
        return screen.decode(errors="replace"), out, process.returncode
    return run


TINY_SPACE = """
model: gan
budget: {{max_kimg: {max_kimg}, report_kimg: 1.28, grace_kimg: {grace_kimg}, reduction_factor: 2,
          checkpoint_every: 1, quick_num: 200, final_num: 500{extra_budget}}}
collapse: {{patience: {patience}, warmup_kimg: 0}}
fixed: {{g_hidden: [32, 64], d_hidden: [64, 32]}}
params:
{params}
"""
LR_G_PARAM = "  lr_g: {dist: loguniform, low: 1.0e-4, high: 1.0e-3}"


@pytest.fixture
def tiny_space(tmp_path):
    """Write a small MLP-GAN search space and return its path.

    Lengths are given in steps at the default batch size of 64 (a report every 20 steps,
    1.28 kimg); ``extra`` adds top-level keys (``scheduler: pbt``), ``budget`` budget keys.
    """
    def write(params: str = LR_G_PARAM, max_steps: int = 60, grace_period: int = 20, patience: int = 2,
              extra: str = "", budget: str = "") -> Path:
        path = tmp_path / "space.yaml"
        path.write_text(extra + TINY_SPACE.format(params=params, max_kimg=max_steps * 0.064,
                                                  grace_kimg=grace_period * 0.064, patience=patience,
                                                  extra_budget=f", {budget}" if budget else ""))
        return path
    return write
