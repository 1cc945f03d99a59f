"""A clean stop: the first SIGINT or SIGTERM is noted, a second stops at once; a command says how to resume;
a real search and a real ``train`` run stopped mid-way finish when resumed, keeping every report."""
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from raygan.cli import resume_command, user_errors
from raygan.interrupt import Interrupted, StopRequest
from raygan.records import read_jsonl, without_wall_clock
from raygan.search import FLAGS as SEARCH_FLAGS
from raygan.train import FLAGS as TRAIN_FLAGS
from raygan.train import main as train_main

SEARCH_RESUME = {"resume": True, "name": "gan-mnist-1", "time_budget": None}


def test_the_first_signal_is_noted_and_the_second_stops_at_once(capfd):
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with StopRequest(lambda: SEARCH_RESUME) as stop:
        stop.check()  # nothing asked yet
        signal.raise_signal(signal.SIGTERM)
        assert stop.requested and stop.signal_number == signal.SIGTERM
        assert "SIGTERM: stopping at the next safe point" in capfd.readouterr().err
        with pytest.raises(Interrupted) as noted:
            stop.check()
        assert noted.value.exit_code == 143 and not noted.value.at_once
        with pytest.raises(Interrupted) as at_once:
            signal.raise_signal(signal.SIGINT)
    assert at_once.value.at_once and at_once.value.exit_code == 130 and at_once.value.resume == SEARCH_RESUME
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before  # handed back


def test_a_stop_says_in_python_how_to_continue():
    stop = Interrupted(signal.SIGINT, SEARCH_RESUME)
    assert isinstance(stop, KeyboardInterrupt)  # not swallowed by `except Exception`
    assert str(stop) == "stopped by SIGINT; continue with the same call and resume=True, name='gan-mnist-1', " \
                        "without time_budget"


@pytest.mark.parametrize("argv, expected", [
    (["--space", "gan", "--time-budget", "15m", "--data-dir", "../my data", "--export", "best.safetensors"],
     "--space gan --data-dir '../my data' --export best.safetensors --resume --name gan-mnist-1"),
    (["--time-budget=15m", "--resume", "--name", "gan-mnist-1", "--verbose", "0"],  # a resumed search, stopped again
     "--verbose 0 --resume --name gan-mnist-1"),
    (["--time-bud", "15m", "--num-samples", "4"], "--num-samples 4 --resume --name gan-mnist-1"),  # argparse's prefix
])
def test_a_search_resumes_with_its_own_arguments_but_the_time_budget(argv, expected):
    assert resume_command("raygan.search", argv, SEARCH_RESUME, SEARCH_FLAGS) == f"python -m raygan.search {expected}"


def test_a_train_run_resumes_in_its_folder_with_the_time_it_had_left():
    changes = {"resume": True, "out": "runs/gan", "overwrite": None, "time_budget": 290}
    command = resume_command("raygan.train", ["--overwrite", "--time-budget", "5m", "--steps", "600", "--set",
                                              "lr_g=1e-4", "--out", "runs/gan"], changes, TRAIN_FLAGS)
    assert command == "python -m raygan.train --steps 600 --set lr_g=1e-4 --resume --out runs/gan --time-budget 290"


def test_a_command_prints_one_resume_line_and_exits_with_the_signal(capsys):
    with pytest.raises(SystemExit) as exit_info:
        with user_errors("raygan.search", SEARCH_FLAGS, ["--space", "gan", "--time-budget", "15m"]):
            raise Interrupted(signal.SIGINT, SEARCH_RESUME, at_once=True)
    err = capsys.readouterr().err
    assert exit_info.value.code == 130
    assert err == ("raygan.search: stopped by SIGINT at once; resume with: python -m raygan.search --space gan "
                   "--resume --name gan-mnist-1\n")


def test_a_killed_trial_leaves_its_system_exit_out_of_the_drivers_output(monkeypatch, capsys):
    """A SIGTERM that Ray turns into SystemExit where Python cannot raise it (``__del__``, a weakref callback)
    is not printed; any other error there is."""
    from raygan.tuning.trainable import quiet_system_exit

    monkeypatch.setattr(sys, "unraisablehook", quiet_system_exit)
    for error in (SystemExit(1), ValueError("boom")):
        class Dies:
            def __del__(self):
                raise error

        Dies()
    err = capsys.readouterr().err
    assert "ValueError: boom" in err and "SystemExit" not in err


def stop_when(command: list[str], ready, signal_number: int, log: Path, env=None) -> tuple[int, str]:
    """Run ``command`` until ``ready()`` (polled), send it ``signal_number`` (SIGINT as Ctrl-C does: to its process
    group; SIGTERM as ``kill`` does: to it alone), and return its exit status and output (kept in ``log``)."""
    with open(log, "w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        while not ready():  # (pytest-timeout ends a hang)
            assert process.poll() is None, f"it ended before it was stopped:\n{log.read_text()[-3000:]}"
            time.sleep(0.1)
        if signal_number == signal.SIGINT:
            os.killpg(process.pid, signal_number)
        else:
            process.send_signal(signal_number)
        process.wait(timeout=300)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode, log.read_text()


def resume_line(output: str, prog: str) -> list[str]:
    """The arguments of the one resume command in ``output``, which holds no traceback and no Ray hint."""
    lines = [line for line in output.splitlines() if "resume with: " in line]
    assert len(lines) == 1, output[-3000:]
    assert "Traceback" not in output and "Tuner.restore" not in output and "Token authentication" not in output
    command = shlex.split(lines[0].split("resume with: ", 1)[1])
    assert command[:3] == ["python", "-m", prog] and "--resume" in command
    return command[3:]


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_a_search_stopped_by_ctrl_c_or_sigterm_resumes_to_its_end(tmp_path, mnist_dir, tiny_space):
    """Ctrl-C in the search phase, then SIGTERM in the final run of the resumed search: each stops it (130, 143)
    with one resume line; running that line each time finishes the search, keeping every report made before."""
    space = tiny_space(max_steps=60, grace_period=60, patience=50, search="final_kimg: 7.68")
    experiment = tmp_path / "runs" / "stopped"
    search = [sys.executable, "-m", "raygan.search"]
    status, output = stop_when(search + ["--space", str(space), "--data-dir", str(mnist_dir), "--num-samples", "1",
                                         "--storage-path", str(tmp_path / "runs"), "--name", "stopped"],
                               lambda: any(experiment.glob("train_gan_*/checkpoint_000000")), signal.SIGINT,
                               tmp_path / "first.log")
    assert status == 130, output[-3000:]
    resume = search + resume_line(output, "raygan.search")
    assert not (experiment / "final").exists()  # the final run was skipped, the reports written
    trial = next(experiment.glob("train_gan_*"))
    searched = (trial / "result.json").read_text()
    assert json.loads((experiment / "summary.jsonl").read_text().splitlines()[0])["trial"] in trial.name

    status, output = stop_when(resume, lambda: any(experiment.glob("final/train_gan_*/checkpoint_000000")),
                               signal.SIGTERM, tmp_path / "second.log")
    assert status == 143, output[-3000:]
    assert search + resume_line(output, "raygan.search") == resume
    final = next(experiment.glob("final/train_gan_*"))
    trained = (final / "result.json").read_text()
    rows = read_jsonl(experiment / "summary.jsonl")
    assert [row["status"].split(" at ")[0] for row in rows if row["phase"] == "final run"] == ["interrupted"]

    finished = subprocess.run(resume, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-3000:]
    rows = read_jsonl(experiment / "summary.jsonl")
    assert [row["status"] for row in rows] == ["completed", "completed"], rows
    assert next(row for row in rows if row["phase"] == "final run")["kimg"] == pytest.approx(7.68)
    assert (trial / "result.json").read_text().startswith(searched)  # every report made before a stop is kept
    assert (final / "result.json").read_text().startswith(trained)


def train_args(mnist_dir, out: Path) -> list[str]:
    """A small real MLP run: 100 steps, a report and checkpoint every 20."""
    return ["--data-dir", str(mnist_dir), "--steps", "100", "--report-every", "20", "--quick-num", "200",
            "--final-num", "500", "--device", "cpu", "--out", str(out), "--set", "batch_size=16",
            "--set", "g_hidden=32,64", "--set", "d_hidden=64,32"]


@pytest.mark.slow
def test_a_train_run_stopped_by_ctrl_c_resumes_to_an_unbroken_runs_end(tmp_path, mnist_dir):
    """Ctrl-C after the first checkpoint ends the run after its step, checkpointed; the printed resume command
    ends exactly where an unbroken run ends, every report kept."""
    straight = tmp_path / "straight"
    train_main(train_args(mnist_dir, straight))

    stopped = tmp_path / "stopped"
    env = {**os.environ, "OMP_NUM_THREADS": str(torch.get_num_threads())}  # the same maths as this process's
    status, output = stop_when([sys.executable, "-m", "raygan.train", *train_args(mnist_dir, stopped)],
                               lambda: (stopped / "checkpoint" / "trainer.pt").exists(), signal.SIGINT,
                               tmp_path / "train.log", env)
    assert status == 130, output[-3000:]
    assert not (stopped / "final_metrics.jsonl").exists(), "the run finished before it was stopped: lengthen it"
    reports = read_jsonl(stopped / "metrics.jsonl")
    stopped_at = torch.load(stopped / "checkpoint" / "trainer.pt", weights_only=True)["step"]
    assert reports and stopped_at >= reports[-1]["step"]  # checkpointed where it stopped, not at its last report
    train_main(resume_line(output, "raygan.train"))

    assert read_jsonl(stopped / "metrics.jsonl")[:len(reports)] == reports  # kept
    assert read_jsonl(stopped / "final_metrics.jsonl") == read_jsonl(straight / "final_metrics.jsonl")
    a, b = load_file(str(straight / "generator.safetensors")), load_file(str(stopped / "generator.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert [without_wall_clock(r) for r in read_jsonl(stopped / "metrics.jsonl")] == \
        [without_wall_clock(r) for r in read_jsonl(straight / "metrics.jsonl")]
