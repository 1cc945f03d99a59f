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


def _layout_paths() -> set[str]:
    """Every path the README's layout table names, with ``dir/{a,b}.py`` and ``a.py, b.py`` (beside the
    first cell's folder) expanded."""
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    paths = set()
    for line in table.splitlines():
        if not line.startswith("| `"):
            continue
        first = line.split(" | ")[0]
        folder = ""
        for name in re.findall(r"`([^`]+)`", first):
            if "{" in name:
                head, choices, tail = re.match(r"(.*)\{(.*)\}(.*)", name).groups()
                expanded = [f"{head}{choice}{tail}" for choice in choices.split(",")]
            else:
                expanded = [name if "/" in name else folder + name]
            for path in expanded:
                paths.add(path)
                folder = path.rpartition("/")[0] + "/" if "/" in path else folder
    return paths


def test_the_readme_layout_table_matches_the_tree():
    named = _layout_paths()
    for path in named:
        assert (ROOT / path.rstrip("/")).exists(), f"README's layout names {path}, which does not exist"
    modules = {str(path.relative_to(ROOT)) for path in (ROOT / "raygan").rglob("*.py")}
    folders = {name for name in named if name.endswith("/")}
    unnamed = sorted(m for m in modules if m not in named and not any(m.startswith(f) for f in folders)
                     and not m.endswith("/__init__.py"))
    assert not unnamed, f"README's layout table does not name {unnamed}"
