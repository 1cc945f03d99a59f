"""Shared fixtures: the real datasets every test runs on.

MNIST comes from ``../shared/data/mnist`` beside the repository; Fashion-MNIST from
Debian's ``dataset-fashion-mnist`` package, which ``.ci/run`` installs.
"""
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from bench.folders import first_per_class, write_image_folder

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


@pytest.fixture
def fake_notebook(monkeypatch):
    """IPython as a Jupyter kernel has it, without Jupyter: ``outputs`` holds (first text, [its updates]) per
    output displayed; ``shell.config`` says which app runs (a terminal IPython's has no IPKernelApp)."""
    import types

    shell = types.SimpleNamespace(config={"IPKernelApp": {}})
    outputs = []

    class Pretty:
        def __init__(self, data):
            self.data = data

    def display(shown, display_id=False):
        assert display_id is True  # an output that can be updated in place
        outputs.append((shown.data, []))
        return types.SimpleNamespace(update=lambda new: outputs[-1][1].append(new.data))

    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell
    ipython.display = types.ModuleType("IPython.display")
    ipython.display.display, ipython.display.Pretty = display, Pretty
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", ipython.display)
    return types.SimpleNamespace(outputs=outputs, shell=shell)


TINY_SPACE = """
model: gan
budget: {{max_kimg: {max_kimg}, report_kimg: 1.28, checkpoint_every: 1, quick_num: 200, final_num: 500}}
search: {{grace_kimg: {grace_kimg}, reduction_factor: 2{extra_search}}}
collapse: {{patience: {patience}, warmup_kimg: 0}}
fixed: {{g_hidden: [32, 64], d_hidden: [64, 32]}}
params:
{params}
"""
LR_G_PARAM = "  lr_g: {dist: loguniform, low: 1.0e-4, high: 1.0e-3}"


def write_tiny_space(folder: Path, params: str = LR_G_PARAM, max_steps: int = 60, grace_period: int = 20,
                     patience: int = 2, extra: str = "", search: str = "") -> Path:
    """Write a small MLP-GAN search space as ``folder/space.yaml`` and return its path.

    Lengths are given in steps at the default batch size of 64 (a report every 20 steps,
    1.28 kimg); ``extra`` adds top-level keys (``scheduler: pbt``), ``search`` keys of ``search:``.
    """
    path = folder / "space.yaml"
    path.write_text(extra + TINY_SPACE.format(params=params, max_kimg=max_steps * 0.064,
                                              grace_kimg=grace_period * 0.064, patience=patience,
                                              extra_search=f", {search}" if search else ""))
    return path


@pytest.fixture
def tiny_space(tmp_path):
    """:func:`write_tiny_space` into the test's ``tmp_path``: ``tiny_space(params, max_steps=...)``."""
    def write(*args, **kwargs) -> Path:
        return write_tiny_space(tmp_path, *args, **kwargs)
    return write


@pytest.fixture(scope="session")
def space_writer():
    """:func:`write_tiny_space` itself, for fixtures that outlive one test (``space_writer(folder, params)``)."""
    return write_tiny_space


@pytest.fixture(scope="session", autouse=True)
def _private_raygan_cache(tmp_path_factory):
    """Decoded image folders and their evaluators go to a cache of the test session's own, never ~/.cache."""
    from raygan.cache import CACHE_ENV

    old = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(tmp_path_factory.mktemp("raygan-cache"))
    yield
    if old is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = old


def small_nets(model: str, hidden=(32, 64), width: int = 8) -> dict:
    """Config values for small nets of ``model``: MLP widths (``hidden``, mirrored for D) for gan and cgan,
    DCGAN widths for dcgan and cdcgan (each architecture's width keys are an error on the other)."""
    if model in ("dcgan", "cdcgan"):
        return {"g_width": width, "d_width": width}
    return {"g_hidden": list(hidden), "d_hidden": list(hidden[::-1])}


@pytest.fixture(scope="session")
def mnist_arrays(mnist_dir):
    """Real MNIST train images (uint8 (N, 28, 28)) and labels as numpy arrays."""
    from raygan.data.idx import read_idx

    return (read_idx(mnist_dir / "train-images-idx3-ubyte.gz", 3),
            read_idx(mnist_dir / "train-labels-idx1-ubyte.gz", 1).astype("int64"))


@pytest.fixture(scope="session")
def digit_folder(tmp_path_factory, mnist_arrays):
    """1,000 real MNIST digits (100 per class) as 28x28 grey PNGs in class folders named 0..9."""
    images, labels = first_per_class(*mnist_arrays, 100)
    return write_image_folder(tmp_path_factory.mktemp("digits") / "digits", images, labels, list("0123456789"))


@pytest.fixture(scope="session")
def colour_folder(tmp_path_factory, mnist_arrays):
    """1,000 real MNIST digits padded to 32x32 and tinted one colour per class (3 channels), in
    class folders named after the colours' digits (zero .. nine)."""
    names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    images, labels = first_per_class(*mnist_arrays, 100)
    return write_image_folder(tmp_path_factory.mktemp("colour") / "colour_digits", images, labels, names,
                              colour=True, pad=2)


@pytest.fixture(scope="session")
def flat_folder(tmp_path_factory, fashion_dir):
    """600 real Fashion-MNIST images as 28x28 grey PNGs in one flat folder (no labels)."""
    from raygan.data.idx import read_idx

    images = read_idx(fashion_dir / "train-images-idx3-ubyte.gz", 3)[:600]
    return write_image_folder(tmp_path_factory.mktemp("flat") / "clothes", images, [0] * len(images))


EVALUATOR_TEST_STEPS = 120  # a short evaluator for tests that only need one to exist (the recipe trains >= 1,800)


@pytest.fixture(scope="session")
def folder_with_evaluator():
    """Load an image folder's splits and give it a briefly trained evaluator (once per folder and session),
    so train and search runs on it find one cached instead of training the full recipe."""
    from raygan.data import load_dataset
    from raygan.metrics.evaluator_training import ensure_evaluator

    done = {}

    def prepare(folder: Path):
        if folder not in done:
            train, test = (load_dataset("folder", folder, split) for split in ("train", "test"))
            ensure_evaluator(train, test, log=lambda line: None, steps=EVALUATOR_TEST_STEPS)
            done[folder] = train, test
        return done[folder]
    return prepare


# Test files that start a Ray head or a cluster of their own (``ray start``, Ray's ``Cluster``, a job server): one
# unit of work for xdist, so no two run at once (``ray.init()`` without an address joins the latest head started on
# the machine)
OWN_CLUSTER_FILES = ("test_autoscaler.py", "test_cluster.py", "test_jobs.py", "test_node_death.py",
                     "test_s3_storage.py", "test_ray_floor.py", "test_ray_session.py")


def pytest_configure(config):
    """Under xdist, one torch thread per worker (and in what it starts), so two workers never oversubscribe the
    cores: oversubscribed torch threads slow both several-fold."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import torch

        os.environ["OMP_NUM_THREADS"] = "1"
        torch.set_num_threads(1)


def pytest_xdist_make_scheduler(config, log):
    """Whole test files to each worker (a module's Ray and shared search start once), :data:`OWN_CLUSTER_FILES`
    together as one; in the order :func:`pytest_collection_modifyitems` leaves them (the long ones first)."""
    from xdist.scheduler import LoadScopeScheduling

    class FileScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = nodeid.split("::", 1)[0]
            return "own-cluster" if Path(file).name in OWN_CLUSTER_FILES else file

    return FileScheduling(config, log)


def _start_order(items) -> dict:
    """Per test file, when it starts: the own-cluster files, then the others by how many of their tests are marked
    slow, most first, so that neither xdist worker ends on a long file while the other idles."""
    slow = Counter(item.path for item in items if item.get_closest_marker("slow"))
    return {item.path: (item.path.name not in OWN_CLUSTER_FILES, -slow[item.path]) for item in items}


def pytest_collection_modifyitems(config, items):
    """Long files first (:func:`_start_order`; the sort is stable, so each file keeps its order); without a CUDA
    device the ``cuda`` tests are deselected (not skipped: nothing to see in the summary)."""
    import torch

    order = _start_order(items)
    items.sort(key=lambda item: order[item.path])
    if torch.cuda.is_available():
        return
    deselected = [item for item in items if item.get_closest_marker("cuda")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("cuda")]
