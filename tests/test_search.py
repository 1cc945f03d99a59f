"""``python -m raygan.search``: bundled spaces, the default data folder, one-line errors before Ray starts."""
import dataclasses
import sys
from pathlib import Path

import pytest

from raygan.search import main as search_main

SPACES = Path(__file__).resolve().parents[1] / "search_spaces"
GOOD = """
model: gan
params:
  lr_g: {dist: loguniform, low: 1.0e-5, high: 1.0e-3}
"""


def test_search_cli_rejects_a_bad_space_before_starting_ray(tmp_path, mnist_dir, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD + "  batch_size: {dist: choice, values: []}\n")
    with pytest.raises(SystemExit) as exit_info:
        search_main(["--space", str(path), "--data-dir", str(mnist_dir)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and "non-empty" in err
    import ray

    assert not ray.is_initialized()


@pytest.mark.parametrize("args, message", [
    (["--num-samples", "0"], "--num-samples"),
    (["--gpus-per-trial", "-1"], "--gpus-per-trial"),
    (["--resume"], "--resume needs --name"),
    (["--space", "missing.yaml"], "missing.yaml does not exist"),
    (["--address", "127.0.0.1:1"], "no Ray cluster at --address 127.0.0.1:1"),
    (["--data-dir", "/nonexistent/mnist"], "/nonexistent/mnist does not exist"),
    (["--cpus-per-trial", "0"], "--cpus-per-trial"),
    (["--export", "/proc/raygan/best.safetensors"], "cannot write /proc/raygan/best.safetensors"),
    (["--export", "FOLDER"], "is a folder; give a file name"),
    (["--space", "FOLDER"], "is a folder; pass a YAML file"),
    (["--data-dir", "FILE"], "is a file; pass the folder"),
    (["--storage-path", "FILE"], "--storage-path FILE is a file; give a folder"),
    (["--study-db", "study.db"], "not a database URL"),
    (["--seed", "-1"], "--seed: must be 0 or more"),
    (["--seed", str(2**32)], "--seed: must be below 2**32"),
    (["--max-failures", "-5"], "--max-failures: must be 0 or more"),
    (["--storage-path", "FILE/runs"], "FILE is a file, not a folder"),
    (["--study-db", "sqlite:////proc/nope/study.db"], "cannot write /proc/nope/study.db"),
    (["--time-budget", "soon"], "--time-budget: expected a duration such as 15m"),
    (["--time-budget", "0m"], "--time-budget: must be a positive duration"),
    (["--time-budget", "5m", "--resume", "--name", "x"], "--time-budget cannot carry over to --resume"),
    (["--space", "PBT", "--study-db", "sqlite:///study.db"], "scheduler pbt runs without Optuna"),
    (["--cluster-config", "missing.yaml"], "--cluster-config missing.yaml does not exist"),
    (["--cluster-config", "FILE"], "--cluster-config FILE has no available_node_types"),
])
def test_search_cli_argument_errors(args, message, mnist_dir, tmp_path, capsys):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    pbt = tmp_path / "pbt.yaml"
    pbt.write_text("scheduler: pbt\n" + GOOD)
    base = ["--space", str(SPACES / "gan.yaml"), "--data-dir", str(mnist_dir)]
    with pytest.raises(SystemExit) as exit_info:
        search_main(base + [a.replace("FOLDER", str(tmp_path)).replace("FILE", str(a_file)).replace("PBT", str(pbt))
                            for a in args])
    err = capsys.readouterr().err
    message = message.replace("FILE", str(a_file))
    assert exit_info.value.code == 2 and err.count("\n") == 1 and message in err, err


@pytest.mark.parametrize("dataset, data", [("mnist", "fashion_dir"), ("fashion_mnist", "mnist_dir")])
def test_a_dataset_contradicting_the_files_fails_before_ray_starts(dataset, data, request, capsys):
    folder = request.getfixturevalue(data)
    with pytest.raises(SystemExit) as exit_info:
        search_main(["--space", "dcgan", "--data-dir", str(folder), "--dataset", dataset])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1
    assert f"--dataset {dataset} contradicts --data-dir {folder}, which holds " in err
    import ray

    assert not ray.is_initialized()


class Started(Exception):
    """Raised by a stand-in for run_search: what the command line would search, without searching."""


def test_a_search_on_fashion_mnist_files_searches_fashion_mnist(fashion_dir, tmp_path, monkeypatch, capsys):
    """A bundled space declares mnist; Fashion-MNIST files make it a Fashion-MNIST search: its trials' configs,
    its evaluator's data and its export's classes come from them."""
    import raygan.tuning

    def search(space, source, options, export=None):
        raise Started(space, source)

    monkeypatch.setattr(raygan.tuning, "run_search", search)
    with pytest.raises(Started) as started:
        search_main(["--space", "dcgan", "--data-dir", str(fashion_dir), "--storage-path", str(tmp_path)])
    space, source = started.value.args
    assert space.dataset == "fashion_mnist" and space.base_config()["dataset"] == "fashion_mnist"
    assert (source.dataset, source.folder, source.info.class_names[-1]) == ("fashion_mnist", fashion_dir, "Ankle boot")
    first = capsys.readouterr().out.splitlines()[0]
    assert "(dcgan on fashion_mnist, asha)" in first and "/dcgan-fashion_mnist-" in first


@pytest.mark.parametrize("text, seconds", [("900", 900), ("90s", 90), ("15m", 900), ("2h", 7200), ("1.5h", 5400)])
def test_time_budgets_read_as_seconds(text, seconds):
    from raygan.cli import duration

    assert duration(text) == seconds


def test_embedded_ray_has_no_dashboard():
    import ray

    from raygan.tuning.ray_session import start_ray

    assert start_ray(None) is True
    try:
        assert not ray._private.worker.global_worker.node.address_info.get("webui_url")
    finally:
        ray.shutdown()


@pytest.mark.slow
@pytest.mark.timeout(1200)  # a search until its 2nd trial, then its report (limit 120 s) and resume (300 s)
def test_driver_killed_mid_search_resumes_with_results_and_searcher_kept(tmp_path, mnist_dir, tiny_space):
    """SIGKILL the driver after its first trial finished; --resume finishes the rest, keeping what was done."""
    import json
    import os
    import signal
    import subprocess
    import time

    # 4 reports per trial, each a checkpoint: no more than an ASHA trial keeps (KEPT_CHECKPOINTS), so Tune never
    # prunes one that its last experiment snapshot still names (the race the tuner's _run_config describes)
    space = tiny_space(max_steps=80, grace_period=80, patience=50)
    command = [sys.executable, "-m", "raygan.search", "--space", str(space), "--data-dir", str(mnist_dir),
               "--num-samples", "3", "--max-concurrent", "1", "--storage-path", str(tmp_path / "runs"),
               "--name", "killed", "--verbose", "0"]
    env = {**os.environ, "TUNE_GLOBAL_CHECKPOINT_S": "1"}
    experiment = tmp_path / "runs" / "killed"
    driver = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        # with one trial at a time, a second trial folder means the first has finished (pytest-timeout ends a hang)
        while len(list(experiment.glob("train_gan_*"))) < 2:
            assert driver.poll() is None, "the search ended before its second trial started"
            time.sleep(0.5)
        time.sleep(2)
    finally:
        os.killpg(driver.pid, signal.SIGKILL)  # the driver and the local Ray it started
        driver.wait()
    first = min(experiment.glob("train_gan_*"), key=lambda p: p.stat().st_mtime)
    first_results = (first / "result.json").read_text()

    # the report of the interrupted search, rebuilt from Tune's records: the finished trial is in it
    report = subprocess.run([sys.executable, "-m", "raygan.report", str(experiment)], env=env, capture_output=True,
                            text=True, timeout=120)
    assert report.returncode == 0 and report.stdout.strip() == str(experiment / "report.html"), report.stderr[-2000:]
    partial = [json.loads(line) for line in (experiment / "summary.jsonl").read_text().splitlines()]
    assert any(row["status"] == "completed" for row in partial)
    assert partial[0]["trial"] in (experiment / "report.html").read_text()

    resumed = subprocess.run(command + ["--resume"], env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    rows = [json.loads(line) for line in (experiment / "summary.jsonl").read_text().splitlines()]
    assert len(rows) == 3  # num_samples still 3: the searcher resumed, it did not start over
    assert (first / "result.json").read_text().startswith(first_results)  # finished work kept
    assert all(row["status"] == "completed" for row in rows), rows


def test_bundled_spaces_load_by_name_and_are_listed(capsys):
    from raygan.space import bundled_spaces, load_space

    shipped = sorted(path.stem for path in SPACES.glob("*.yaml"))
    assert sorted(bundled_spaces()) == shipped and "dcgan" in shipped
    for name in shipped:
        bundled, from_file = load_space(name), load_space(SPACES / f"{name}.yaml")
        assert bundled.source == f"{name} (bundled)" and dataclasses.replace(bundled, source="") == \
            dataclasses.replace(from_file, source="")
    search_main(["--list-spaces"])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == shipped
    dcgan = next(line for line in lines if line.startswith("dcgan "))
    assert "dcgan on mnist" in dcgan and "asha" in dcgan and "DCGAN on MNIST" in dcgan
    assert "pbt" in next(line for line in lines if line.startswith("dcgan-pbt "))


def test_an_unknown_space_name_lists_the_bundled_ones(capsys):
    with pytest.raises(SystemExit) as exit_info:
        search_main(["--space", "dcgam"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1
    assert "dcgam does not exist" in err and "cdcgan, cgan, dcgan, dcgan-pbt, gan, small" in err


def test_without_data_dir_data_comes_from_raygan_data_or_a_one_line_offline_error(tmp_path, mnist_dir, monkeypatch,
                                                                                 capsys):
    import torchvision

    from raygan.data import data_location, default_data_dir

    monkeypatch.setenv("RAYGAN_DATA", str(tmp_path / "data"))
    assert default_data_dir("mnist") == tmp_path / "data" / "mnist"
    assert data_location("mnist", None) == (tmp_path / "data" / "mnist", True)  # the default place: download
    assert data_location("mnist", mnist_dir) == (mnist_dir, False)
    monkeypatch.delenv("RAYGAN_DATA")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_dir("fashion_mnist") == tmp_path / "xdg" / "raygan" / "fashion_mnist"

    def offline(*args, **kwargs):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz: Name or service not known")

    monkeypatch.setattr(torchvision.datasets, "MNIST", offline)  # as offline, without touching the network
    monkeypatch.setenv("RAYGAN_DATA", str(tmp_path / "empty"))
    with pytest.raises(SystemExit) as exit_info:
        search_main(["--space", "gan"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1
    assert f"could not download mnist into {tmp_path / 'empty' / 'mnist'}" in err
    assert "copy the four MNIST IDX .gz files there" in err and "RAYGAN_DATA" in err
