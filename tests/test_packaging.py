"""What ``pip install raygan`` ships: every package, the evaluator weights and the bundled search spaces."""
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_pyproject_lists_every_package_and_maps_the_search_spaces():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "raygan").rglob("__init__.py")}
    assert set(setuptools["packages"]) == on_disk | {"raygan.search_spaces"}
    assert setuptools["package-dir"] == {"raygan.search_spaces": "search_spaces"}


@pytest.mark.slow
def test_the_wheel_holds_the_bundled_spaces_and_the_evaluator_weights(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("raygan-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    spaces = {f"raygan/search_spaces/{path.name}" for path in (ROOT / "search_spaces").glob("*.yaml")}
    assert spaces and spaces <= names and "raygan/search_spaces/__init__.py" in names
    weights = {f"raygan/metrics/weights/{p.name}" for p in (ROOT / "raygan/metrics/weights").iterdir()}
    assert weights and weights <= names
    assert not any(name.startswith(("tests/", "bench/", "search_spaces/")) for name in names)
