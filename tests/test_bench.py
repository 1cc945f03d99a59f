"""The benchmark's short form: both loops train the same model on real MNIST and are timed."""
import json

from raygan.bench import main


def test_short_benchmark_reports_both_loops(tmp_path, mnist_dir, capsys):
    out = tmp_path / "bench.json"
    main(["--data-dir", str(mnist_dir), "--models", "gan,cgan", "--steps", "6", "--warmup", "2",
          "--eval-num", "500", "--device", "cpu", "--json", str(out)])
    printed = capsys.readouterr().out
    assert "| gan | 64 |" in printed and "speedup" in printed
    result = json.loads(out.read_text())
    assert [row["model"] for row in result["models"]] == ["gan", "cgan"]
    for row in result["models"]:
        assert row["reference_images_per_s"] > 0 and row["raygan_images_per_s"] > 0
        assert row["speedup"] == row["raygan_images_per_s"] / row["reference_images_per_s"]
        assert row["train_flops_per_image"] > 1e6
    assert result["eval_first_s"] > 0 and result["eval_cached_s"] > 0


def test_unknown_model_is_one_line(mnist_dir, capsys):
    import pytest

    with pytest.raises(SystemExit) as exit_info:
        main(["--data-dir", str(mnist_dir), "--models", "gan,vae"])
    assert exit_info.value.code == 2 and "unknown model 'vae'" in capsys.readouterr().err
