"""``python -m raygan.search`` argument and input errors: one line, exit code 2, before Ray starts."""
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
])
def test_search_cli_argument_errors(args, message, mnist_dir, capsys):
    base = ["--space", str(SPACES / "gan.yaml"), "--data-dir", str(mnist_dir)]
    with pytest.raises(SystemExit) as exit_info:
        search_main(base + args)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and message in err


def test_embedded_ray_has_no_dashboard():
    import ray

    from raygan.tuning import start_ray

    assert start_ray(None) is True
    try:
        assert not ray._private.worker.global_worker.node.address_info.get("webui_url")
    finally:
        ray.shutdown()
