"""The engine benchmark's short form: both loops train the same model on real MNIST and are timed."""
import json

import pytest

from bench.engine import main


def _mlp_flops(widths):
    """2 * multiply-adds of one forward pass through linear layers of these widths."""
    return 2 * sum(a * b for a, b in zip(widths, widths[1:]))


def test_short_benchmark_reports_both_loops(tmp_path, mnist_dir, capsys):
    out = tmp_path / "bench.json"
    main(["--data-dir", str(mnist_dir), "--models", "gan,cgan", "--steps", "6", "--warmup", "2",
          "--eval-num", "500", "--device", "cpu", "--json", str(out)])
    printed = capsys.readouterr().out
    result = json.loads(out.read_text())
    assert [row["model"] for row in result["models"]] == ["gan", "cgan"]
    for row in result["models"]:
        assert row["reference_images_per_s"] > 0 and row["raygan_images_per_s"] > 0
        assert f"| {row['model']} | 64 | {row['reference_images_per_s']:,.0f} |" in printed
    # One engine step per real image, counted by torch, against the count by hand for the default MLP GAN:
    # G forward; D forward and weight gradients on real + fake; D input gradients (not for its first layer's
    # input); then for G's update D forward and input gradients on the fake, and G's backward (not into z).
    g, d = _mlp_flops([100, 256, 512, 1024, 784]), _mlp_flops([784, 1024, 512, 256, 1])
    by_hand = g + 2 * d + 2 * d + 2 * (d - 2 * 784 * 1024) + d + d + g + (g - 2 * 100 * 256)
    gan, cgan = result["models"]
    assert gan["train_flops_per_image"] == by_hand
    assert cgan["train_flops_per_image"] > by_hand  # the label code widens G's and D's first layers
    assert result["eval_first_s"] > 0 and result["eval_cached_s"] > 0 and result["eval_num"] == 500


@pytest.mark.parametrize("args, message", [
    (["--models", "gan,vae"], "unknown model 'vae'"),
    (["--eval-num", "3"], "--eval-num must be 0 (skip) or at least 10"),
    (["--data-dir", "/nonexistent"], "/nonexistent does not exist"),
    (["--json", "/proc/nope/b.json"], "cannot write /proc/nope/b.json"),
])
def test_bad_input_is_one_line(mnist_dir, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["--data-dir", str(mnist_dir), *args])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and message in err and err.count("\n") == 1


@pytest.mark.slow
def test_gpu_share_benchmark_runs_concurrent_trials_on_the_cpu(tmp_path, mnist_dir, capsys):
    from bench import gpu_share

    out = tmp_path / "share.json"
    gpu_share.main(["--data-dir", str(mnist_dir), "--model", "gan", "--counts", "1,2", "--steps", "4",
                    "--warmup", "1", "--device", "cpu", "--json", str(out)])
    printed = capsys.readouterr().out
    result = json.loads(out.read_text())
    assert [row["trials"] for row in result["rows"]] == [1, 2] and result["mps"] is False
    one, two = result["rows"]
    assert one["scaling"] == pytest.approx(1.0) and two["per_trial_images_per_s"] > 0
    for row in result["rows"]:  # every image of every trial over the shared wall time
        assert row["aggregate_images_per_s"] == pytest.approx(row["trials"] * 4 * 64 / row["wall_s"])
        assert f"| {row['trials']} | {row['aggregate_images_per_s']:,.0f} |" in printed


@pytest.mark.parametrize("args, message", [
    (["--counts", "1,0"], "--counts must be positive whole numbers"),
    (["--mps", "--device", "cpu"], "--mps needs a CUDA device with the MPS daemon up"),
    (["--model", "vae"], "--model"),
])
def test_gpu_share_bad_input_is_one_line(mnist_dir, capsys, args, message):
    from bench import gpu_share

    with pytest.raises(SystemExit) as exit_info:
        gpu_share.main(["--data-dir", str(mnist_dir), *args])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and message in err and err.count("\n") == 1


def test_gpu_share_prints_the_mps_steps(capsys):
    from bench import gpu_share

    gpu_share.main(["--mps-steps"])
    assert "nvidia-cuda-mps-control -d" in capsys.readouterr().out
