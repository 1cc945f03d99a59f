"""The oldest Ray that pyproject.toml allows runs a real search: the stated floor is the one the code needs.

Installs that Ray (wheel only, plus the two dependencies newer Rays dropped) into a cache
folder and puts it in front of the installed one for a tiny search in a subprocess.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def ray_floor() -> str:
    text = (REPO / "pyproject.toml").read_text()
    match = re.search(r'"ray\[tune\]>=([0-9.]+)"', text)
    assert match, "pyproject.toml must state ray[tune]>=VERSION"
    return match.group(1)


@pytest.mark.slow
@pytest.mark.timeout(1800)  # its own limits: pip install 900 s, then the search 600 s
def test_search_runs_on_the_oldest_ray_allowed(tmp_path, mnist_dir, tiny_space):
    floor = ray_floor()
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "raygan-tests" / f"ray-{floor}"
    if not (cache / "ray" / "__init__.py").exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(cache),
                        f"ray=={floor}", "aiosignal", "frozenlist"], check=True, timeout=900)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(cache), os.environ.get("PYTHONPATH", "")])}
    version = subprocess.run([sys.executable, "-c", "import ray; print(ray.__version__)"], env=env,
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version.split(".")[:2] == floor.split(".")[:2]
    export = tmp_path / "best.safetensors"
    done = subprocess.run([sys.executable, "-m", "raygan.search", "--space", str(tiny_space(max_steps=40)),
                           "--data-dir", str(mnist_dir), "--num-samples", "2", "--storage-path", str(tmp_path),
                           "--name", "floor", "--export", str(export), "--verbose", "0"],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "best generator:" in done.stdout and export.stat().st_size > 1000
