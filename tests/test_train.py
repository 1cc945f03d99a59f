"""``python -m raygan.train``: real MNIST runs write every output, resume bit for bit after a kill,
stop on collapse, refuse another run's folder; bad input exits 2 in one line."""
import json
import math
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import load_file

from raygan import load_generator
from raygan.records import read_jsonl, without_wall_clock
from raygan.train import main

TINY = ["--set", "batch_size=16", "--set", "g_hidden=32,64", "--set", "d_hidden=64,32"]  # small MLP nets
TINY_DCGAN = ["--set", "batch_size=16", "--set", "g_width=8", "--set", "d_width=8"]


@pytest.mark.parametrize("model", ["gan", "cdcgan"])
def test_short_real_run_writes_all_outputs(tmp_path, mnist_dir, model, capsys, tensorboard_runs):
    out = tmp_path / model
    ema = [] if model == "cdcgan" else ["--set", "ema_kimg=0"]  # on by default
    main(["--model", model, "--data-dir", str(mnist_dir), "--steps", "20", "--report-every", "10",
          "--out", str(out), "--quick-num", "200", "--final-num", "500", "--device", "cpu",
          *(TINY_DCGAN if model == "cdcgan" else TINY), *ema])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    options = json.loads((out / "options.json").read_text())
    assert options["config"]["model"] == model and options["budget"]["max_kimg"] == 20 * 16 / 1000
    reports = read_jsonl(out / "metrics.jsonl")
    assert [r["step"] for r in reports] == [10, 20] and [r["kimg"] for r in reports] == [0.16, 0.32]
    for report in reports:
        for key in ("loss_d", "loss_g", "d_acc", "d_acc_real", "d_acc_fake", "images_per_s", "fid"):
            assert math.isfinite(report[key]), key
        assert report["tp"] + report["fn"] == 10 * 16 and report["num_samples"] == 200
    per_class = {"label_acc", "label_acc_worst", "intra_fid", "samples_per_class"}
    final_record = read_jsonl(out / "final_metrics.jsonl")[0]
    if model == "cdcgan":  # per report on 200 samples (20 per class), and in the final record (50)
        assert per_class <= set(reports[0]) and reports[0]["samples_per_class"] == 20 and reports[0]["intra_fid"] > 0
        assert reports[0]["samples_per_class"] == 20
        assert per_class <= set(summary) and summary["samples_per_class"] == 50 and summary["intra_fid"] > 0
    else:  # unconditional: absent, not 0
        assert not per_class & (set(reports[0]) | set(summary) | set(final_record))
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["kimg_000000160.png", "kimg_000000320.png"]
    (scalars, images), = tensorboard_runs(out / "tensorboard").values()
    assert images == {"samples": [160, 320]}  # x: images shown to D
    assert scalars["quality/fid"] == [(160, pytest.approx(reports[0]["fid"], rel=1e-6)),
                                      (320, pytest.approx(reports[1]["fid"], rel=1e-6))]
    assert {"train/loss_d", "train/d_acc", "train/tp", "optimizer/lr_g_in_use", "system/images_per_s"} <= set(scalars)
    assert ("quality/label_acc_worst" in scalars) == (model == "cdcgan") and "train/samples_per_class" not in scalars
    assert (out / "curves.png").stat().st_size > 1000
    generator = load_generator(out / "generator.safetensors")
    labels = 3 if model == "cdcgan" else None
    samples = generator.sample(4, labels=labels)
    assert samples.shape == (4, 1, 28, 28)  # in [-1, 1] by the tanh every generator ends in: tests/models checks it
    final = generator.metadata["metrics"]
    assert generator.metadata["steps"] == 20 and final["num_samples"] == 500 and final["fid"] == summary["fid"]
    assert generator.metadata["kimg"] == summary["kimg"] == 0.32
    # with a weight average, the final record also measures G itself, to show what the average buys
    assert ("fid_raw" in final) == (not ema) and final.get("fid_raw") != final["fid"]
    assert final["evaluator"] == summary["evaluator"] and final["kid_std"] > 0
    assert read_jsonl(out / "final_metrics.jsonl")[0]["num_samples"] == 500
    # the best generator: the earlier report's or the last, whichever measures better on the final record's samples
    choice = final_record["best_choice"]
    assert [row["kimg"] for row in choice["rows"]] in ([0.16, 0.32], [0.32, 0.16]) and choice["num_samples"] == 500
    assert choice["rows"][0]["final"] <= choice["rows"][1]["final"]
    assert load_generator(out / "best_generator.safetensors").metadata["kimg"] == choice["rows"][0]["kimg"]


def _run_args(mnist_dir, out, steps):
    return ["--data-dir", str(mnist_dir), "--steps", str(steps), "--report-every", "20", "--quick-num", "200",
            "--final-num", "500", "--device", "cpu", "--out", str(out), *TINY]


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_final_metrics_bit_for_bit(tmp_path, mnist_dir):
    """SIGKILL a real run after its first checkpoint; --resume must end exactly where an unbroken run ends."""
    steps = 600
    straight = tmp_path / "straight"
    main(_run_args(mnist_dir, straight, steps))

    killed = tmp_path / "killed"
    env = {**os.environ, "OMP_NUM_THREADS": str(torch.get_num_threads())}
    process = subprocess.Popen([sys.executable, "-m", "raygan.train", *_run_args(mnist_dir, killed, steps)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not (killed / "checkpoint" / "trainer.pt").exists():  # (pytest-timeout ends a hang)
        assert process.poll() is None, "the run ended before its first checkpoint"
        time.sleep(0.05)
    time.sleep(0.3)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (killed / "final_metrics.jsonl").exists(), "the run finished before it was killed: lengthen it"
    main(["--resume", "--out", str(killed)])

    assert read_jsonl(killed / "final_metrics.jsonl") == read_jsonl(straight / "final_metrics.jsonl")
    a, b = load_file(str(straight / "generator.safetensors")), load_file(str(killed / "generator.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert [without_wall_clock(r) for r in read_jsonl(killed / "metrics.jsonl")] == \
        [without_wall_clock(r) for r in read_jsonl(straight / "metrics.jsonl")]


def test_collapsed_run_stops_with_its_reason(tmp_path, mnist_dir, capsys):
    out = tmp_path / "boom"
    main(_run_args(mnist_dir, out, 400) + ["--set", "lr_g=5", "--set", "lr_d=5"])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    reports = read_jsonl(out / "metrics.jsonl")
    assert summary["collapsed"] and summary["collapse_reason"] == reports[-1]["collapse_reason"] != ""
    assert summary["steps"] < 400 and reports[-1]["step"] == summary["steps"]


def test_an_existing_run_is_neither_overwritten_nor_mixed(tmp_path, mnist_dir, capsys):
    out = tmp_path / "run"
    main(_run_args(mnist_dir, out, 20))
    first = (out / "metrics.jsonl").read_text()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(SystemExit) as exit_info:
        main(_run_args(mnist_dir, out, 20))
    assert exit_info.value.code == 2 and "already holds a raygan run" in capsys.readouterr().err
    assert (out / "metrics.jsonl").read_text() == first
    main(_run_args(mnist_dir, out, 40) + ["--overwrite"])
    assert [r["step"] for r in read_jsonl(out / "metrics.jsonl")] == [20, 40]
    assert (out / "notes.txt").read_text() == "mine"  # only the run's own outputs are replaced


def test_resume_can_extend_a_finished_run_but_not_redo_or_shorten_it(tmp_path, mnist_dir, capsys):
    out = tmp_path / "run"
    main(_run_args(mnist_dir, out, 20))
    main(["--resume", "--out", str(out)])  # nothing left to do: said, and nothing is measured or written again
    assert "already complete at step 20" in capsys.readouterr().out
    assert len(read_jsonl(out / "final_metrics.jsonl")) == 1
    main(["--resume", "--out", str(out), "--steps", "40"])
    assert [r["step"] for r in read_jsonl(out / "metrics.jsonl")] == [20, 40]
    assert [r["step"] for r in read_jsonl(out / "final_metrics.jsonl")] == [20, 40]
    assert json.loads((out / "options.json").read_text())["budget"]["max_kimg"] == 40 * 16 / 1000
    with pytest.raises(SystemExit) as exit_info:
        main(["--resume", "--out", str(out), "--kimg", "0.48"])
    assert exit_info.value.code == 2 and "below what the run" in capsys.readouterr().err
    assert json.loads((out / "options.json").read_text())["budget"]["max_kimg"] == 40 * 16 / 1000


def test_hand_edited_options_are_one_line(tmp_path, mnist_dir, capsys):
    out = tmp_path / "run"
    main(_run_args(mnist_dir, out, 20))
    options = json.loads((out / "options.json").read_text())
    for broken in ({**options, "data_dir": None}, {**options, "config": {"latent_dim": "x"}}, [1, 2]):
        (out / "options.json").write_text(json.dumps(broken))
        with pytest.raises(SystemExit) as exit_info:
            main(["--resume", "--out", str(out)])
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and "options.json is corrupt or hand-edited" in err and err.count("\n") == 1


def test_a_run_on_fashion_mnist_files_is_a_fashion_mnist_run(tmp_path, fashion_dir, capsys):
    """No --dataset: the files say what they are; the run records it, measures with its evaluator, names its classes."""
    out = tmp_path / "clothes"
    main(["--data-dir", str(fashion_dir), "--kimg", "0.032", "--report-kimg", "0.032", "--quick-num", "100",
          "--final-num", "100", "--device", "cpu", "--out", str(out), *TINY])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert json.loads((out / "options.json").read_text())["config"]["dataset"] == "fashion_mnist"
    assert summary["evaluator"].startswith("fashion_mnist-")
    metadata = load_generator(out / "generator.safetensors").metadata
    assert metadata["dataset"] == "fashion_mnist" and metadata["class_names"][-1] == "Ankle boot"


@pytest.mark.parametrize("args, message", [
    (["--dataset", "fashion_mnist"], "--dataset fashion_mnist contradicts --data-dir MNIST_DIR, which holds mnist IDX "
                                     "files; pass --dataset mnist"),
    (["--model", "vae"], "unknown model 'vae'"),
    (["--set", "cond=output", "--model", "cgan"], "cond"),
    (["--set", "latent_dim=0"], "latent_dim"),
    (["--set", "lr_g=-1"], "lr_g"),
    (["--steps", "0"], "--steps: must be at least 1"),
    (["--report-every", "50"], "--report-kimg (3.2) must not exceed --kimg (0.128)"),
    (["--kimg", "1"], "--steps and --kimg set the same thing"),
    (["--kimg", "-1"], "--kimg/--max-kimg: must be a number above 0, got -1"),
    (["--final-num", "5"], "--final-num must be 0 (no metrics) or at least 10"),
    (["--quick-num", "3"], "--quick-num must be 0"),
    (["--steps", "x"], "--steps: expected a whole number"),
    (["--data-dir", "/nonexistent/mnist"], "/nonexistent/mnist does not exist"),
    (["--data-dir", "FILE"], "is a file; pass the folder"),
    (["--out", "FILE"], "is a file; give a folder"),
    (["--out", "FILE/sub"], "cannot create --out"),
    (["--device", "tpu"], "unknown device"),
    (["--resume"], "holds no raygan run"),
    (["--resume", "--overwrite"], "contradict"),
])
def test_bad_input_is_one_line_exit_2(args, message, mnist_dir, tmp_path, capsys):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    base = ["--data-dir", str(mnist_dir), "--steps", "2", "--report-every", "1", "--out", str(tmp_path / "o")]
    with pytest.raises(SystemExit) as exit_info:
        main(base + [a.replace("FILE", str(a_file)) for a in args])
    err = capsys.readouterr().err
    message = message.replace("MNIST_DIR", str(mnist_dir))
    assert exit_info.value.code == 2
    assert err.startswith("raygan.train: error: ") and err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "o" / "metrics.jsonl").exists()  # rejected before any work


@pytest.mark.slow
def test_a_terminal_gets_a_live_bar_and_a_pipe_only_the_report_lines(tmp_path, mnist_dir, in_terminal):
    def command(out):
        return ["raygan.train", *_run_args(mnist_dir, out, 40), "--quick-num", "0", "--final-num", "500"]

    bar, out, returncode = in_terminal(command(tmp_path / "tty"), timeout=120)
    assert returncode == 0
    assert "gan training" in bar and "0.64/0.64" in bar and "kimg]" in bar  # progress to 0.64 kimg, with a rate
    assert "sampling:" in bar and "/500 [" in bar and ", precision]" in bar  # then the final measurement's bars
    assert out.splitlines()[0].startswith("data: mnist, 60,000 training images")  # what it trains on, first
    assert [line.split(" (")[0] for line in out.splitlines()[1:3]] == ["step 20", "step 40"]

    piped = subprocess.run([sys.executable, "-m", *command(tmp_path / "pipe")], capture_output=True, text=True,
                           timeout=120)
    assert piped.returncode == 0 and "gan training" not in piped.stderr + piped.stdout and "\r" not in piped.stderr
