"""``python -m raygan.train``: a short real MNIST run writes every output; bad input exits 2 in one line."""
import json
import math

import pytest

from raygan import load_generator
from raygan.records import read_jsonl
from raygan.train import main


@pytest.mark.parametrize("model", ["gan", "cdcgan"])
def test_short_real_run_writes_all_outputs(tmp_path, mnist_dir, model, capsys):
    out = tmp_path / model
    main(["--model", model, "--data-dir", str(mnist_dir), "--steps", "20", "--report-every", "10",
          "--out", str(out), "--quick-num", "200", "--final-num", "500", "--device", "cpu",
          "--set", "batch_size=16", "--set", "g_width=8", "--set", "d_width=8",
          "--set", "g_hidden=32,64", "--set", "d_hidden=64,32"])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    reports = read_jsonl(out / "metrics.jsonl")
    assert [r["step"] for r in reports] == [10, 20]
    for report in reports:
        for key in ("loss_d", "loss_g", "d_acc", "d_acc_real", "d_acc_fake", "images_per_s", "fid"):
            assert math.isfinite(report[key]), key
        assert report["tp"] + report["fn"] == 10 * 16
    if model == "cdcgan":
        assert "label_acc" in reports[0] and "label_acc" in summary
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["step_000010.png", "step_000020.png"]
    assert (out / "curves.png").stat().st_size > 1000
    generator = load_generator(out / "generator.safetensors")
    labels = 3 if model == "cdcgan" else None
    samples = generator.sample(4, labels=labels)
    assert samples.shape == (4, 1, 28, 28) and samples.abs().max() <= 1
    assert generator.metadata["steps"] == 20 and math.isfinite(summary["fid"])


@pytest.mark.parametrize("args, message", [
    (["--model", "vae"], "unknown model 'vae'"),
    (["--set", "cond=output", "--model", "cgan"], "cond"),
    (["--set", "latent_dim=0"], "latent_dim"),
    (["--set", "lr_g=-1"], "lr_g"),
    (["--steps", "0"], "--steps"),
    (["--data-dir", "/nonexistent/mnist"], "/nonexistent/mnist does not exist"),
    (["--device", "tpu"], "unknown device"),
])
def test_bad_input_is_one_line_exit_2(args, message, mnist_dir, tmp_path, capsys):
    base = ["--data-dir", str(mnist_dir), "--steps", "2", "--out", str(tmp_path / "o")]
    with pytest.raises(SystemExit) as exit_info:
        main(base + args)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.startswith("raygan.train: error: ") and err.count("\n") == 1 and message in err
