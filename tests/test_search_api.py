"""``raygan.search(...)`` from Python: one-line errors naming the argument (no ``SystemExit``), a real search's
result, and the name it shares with ``python -m raygan.search``."""
import json
import subprocess
import sys

import pytest

import raygan
from raygan.errors import RayganError

SPACE = """
model: gan
params:
  lr_g: {dist: loguniform, low: 1.0e-5, high: 1.0e-3}
"""


@pytest.mark.parametrize("arguments, message, field", [
    ({"time_budget": "soon"}, "time_budget: expected a duration such as 15m", "time_budget"),
    ({"time_budget": 0}, "time_budget: must be a positive duration", "time_budget"),
    ({"space": "dcgam"}, "search space dcgam does not exist", None),
    ({"num_samples": 0}, "num_samples: must be at least 1, got 0", "num_samples"),
    ({"num_samples": 2.5}, "num_samples: expected a whole number, got 2.5", "num_samples"),
    ({"cpus_per_trial": 0}, "cpus_per_trial: must be a number above 0", "cpus_per_trial"),
    ({"seed": 2**32}, "seed: must be below 2**32", "seed"),
    ({"verbose": 3}, "verbose must be 0, 1 or 2, got 3", "verbose"),
    ({"resume": True}, "resume=True needs name=NAME", "name"),
    ({"resume": True, "name": "x", "time_budget": "5m"}, "time_budget cannot carry over to resume=True", "time_budget"),
    ({"storage_path": "FILE"}, "storage_path FILE is a file; give a folder", "storage_path"),
    ({"study_db": "study.db"}, "study_db study.db is not a database URL", "study_db"),
    ({"space": "PBT", "study_db": "sqlite:///study.db"}, "scheduler pbt runs without Optuna", "study_db"),
])
def test_bad_arguments_raise_one_line_naming_the_argument_before_ray_starts(arguments, message, field, mnist_dir,
                                                                          tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    pbt = tmp_path / "pbt.yaml"
    pbt.write_text("scheduler: pbt\n" + SPACE)
    given = {"space": "gan", "data_dir": mnist_dir, "storage_path": tmp_path / "runs",
             **{key: {"FILE": str(a_file), "PBT": str(pbt)}.get(value, value) for key, value in arguments.items()}}
    with pytest.raises(RayganError) as error:  # a RayganError, not the command's SystemExit
        raygan.search(**given)
    text = str(error.value)
    assert message.replace("FILE", str(a_file)) in text and "\n" not in text and "--" not in text
    assert field is None or field in error.value.fields
    import ray

    assert not ray.is_initialized()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_search_from_python_returns_its_best_trial_export_rows_and_ray_result_grid(tmp_path, mnist_dir,
                                                                                     tiny_space, capsys):
    from ray.tune import ResultGrid

    export = tmp_path / "best.safetensors"
    result = raygan.search(tiny_space(max_steps=40, grace_period=40, patience=50), mnist_dir, num_samples=2,
                           max_concurrent=1, storage_path=tmp_path / "runs", name="api", export=export, seed=3)
    out = capsys.readouterr().out
    assert out.startswith("raygan.search: space ") and "best fid" in out  # what it runs, then the progress table

    summary = [json.loads(line) for line in (tmp_path / "runs" / "api" / "summary.jsonl").read_text().splitlines()]
    assert [row.to_record() for row in result.rows] == summary and len(summary) == 2
    best = summary[0]
    assert result.best_trial == best["trial"] and result.best_config == best["config"]
    assert result.best_value == best["best"] and result.best_kimg == best["best_kimg"]
    assert result.best_report["fid"] == best["best"] and result.best_report["kimg"] == best["best_kimg"]
    assert not any(key.startswith("config/") for key in result.best_report)

    generator = raygan.load_generator(result.export_path)
    assert result.export_path == export and generator.sample(4).shape == (4, 1, 28, 28)
    assert generator.metadata["trial"] == result.best_trial and generator.metadata["metrics"] == result.export_metrics
    assert result.export_metrics["num_samples"] == 500 and result.export_error is None
    checkpoint = raygan.load_generator(result.best_generator)
    assert checkpoint.metadata["kimg"] == result.best_kimg

    assert result.experiment_dir == str(tmp_path / "runs" / "api") and result.report_path.is_file()
    assert len(result.grids) == 1 and isinstance(result.grids[0], ResultGrid) and len(result.grids[0]) == 2
    record = json.loads((tmp_path / "runs" / "api" / "search.json").read_text())
    assert record["command"].startswith("raygan.search(space=") and "num_samples=2" in record["command"]
    assert repr(result).startswith(f"SearchResult(api: 2 trial(s), best trial {result.best_trial}: fid ")
    assert result.summary().splitlines()[-1].startswith(f"best generator: {export} (trial {result.best_trial}")


def _python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-W", "error::RuntimeWarning", *args, *(["-c", code] if code else [])],
                          capture_output=True, text=True, timeout=300)


CALLS_BOTH = """
import inspect, sys
import raygan
for name, bad in (("search", {"time_budget": "soon"}), ("train", {"steps": 0})):
    function = getattr(raygan, name)
    assert callable(function), name
    assert inspect.signature(function) == inspect.signature(sys.modules[f"raygan.{name}_api"].__dict__[name])
    try:
        function(**bad)
    except raygan.RayganError as err:
        print(name, type(function).__name__, err.fields)
"""


@pytest.mark.parametrize("first", ["", "import raygan.search, raygan.train\n",
                                   "import raygan\nfrom raygan.search import main\nfrom raygan.train import main\n"])
def test_raygan_search_and_train_are_the_functions_whichever_module_was_imported_first(first):
    done = _python(first + CALLS_BOTH)
    assert done.returncode == 0, done.stderr[-2000:]
    kind = "function" if not first else "CommandModule"  # a command module imported: the name holds the module
    assert done.stdout.splitlines() == [f"search {kind} ('time_budget',)", f"train {kind} ('steps',)"]


def test_the_commands_run_as_scripts_without_a_runpy_warning():
    for command in (["-m", "raygan.search", "--list-spaces"], ["-m", "raygan.train", "--help"]):
        done = _python("", *command)
        assert done.returncode == 0 and done.stderr == "", done.stderr[-2000:]
