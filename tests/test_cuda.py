"""On a CUDA device (deselected without one; ``python -m bench.gpu_check`` runs them): train, resume, search,
evaluate and export on the GPU, on real MNIST with small budgets."""
import pytest
import torch

from raygan import evaluate_generator, load_generator
from raygan.data import open_source
from raygan.records import read_jsonl
from raygan.space import load_space
from raygan.train import main as train_main
from raygan.tuning import SearchOptions, run_search

pytestmark = [pytest.mark.cuda, pytest.mark.slow]
# small nets with the cdcgan space's recipe (the defaults' D wins within 80 steps and the run stops as collapsed)
SMALL = [flag for pair in ("batch_size=32", "g_width=16", "d_width=16", "loss=hinge", "d_norm=spectral", "beta1=0",
                           "beta2=0.9", "lr_g=2e-3", "lr_d=4e-3") for flag in ("--set", pair)]


def train(mnist_dir, out, steps: int, *more: str) -> None:
    train_main(["--model", "cdcgan", "--data-dir", str(mnist_dir), "--steps", str(steps), "--report-every", "20",
                "--quick-num", "500", "--final-num", "1000", "--device", "cuda", "--out", str(out), *SMALL, *more])


def test_a_run_trains_and_resumes_on_the_gpu_and_its_export_loads_anywhere(tmp_path, mnist_dir):
    out = tmp_path / "run"
    train(mnist_dir, out, 40)
    train(mnist_dir, out, 80, "--resume")  # from its step-40 checkpoint, written on the GPU
    reports = read_jsonl(out / "metrics.jsonl")
    assert [r["step"] for r in reports] == [20, 40, 60, 80]  # nothing redone, nothing lost
    assert all(r["loss_d"] == r["loss_d"] and r["fid"] < 1e4 for r in reports)
    on_cpu = load_generator(out / "generator.safetensors", device="cpu")
    on_gpu = load_generator(out / "generator.safetensors", device="cuda")
    labels = torch.arange(10)
    noise = torch.Generator().manual_seed(0)
    a = on_cpu.sample(10, labels=labels, generator=noise)
    b = on_gpu.sample(10, labels=labels.cuda(), generator=torch.Generator("cuda").manual_seed(0))
    assert a.shape == b.shape == (10, 1, 28, 28) and b.is_cuda


def test_evaluating_on_the_gpu_agrees_with_the_cpu(tmp_path, mnist_dir):
    train(mnist_dir, tmp_path / "run", 40)
    path = tmp_path / "run" / "generator.safetensors"
    gpu = evaluate_generator(load_generator(path, device="cuda"), "mnist", mnist_dir, num=2000)
    cpu = evaluate_generator(load_generator(path, device="cpu"), "mnist", mnist_dir, num=2000)
    assert gpu["label_acc"] == pytest.approx(cpu["label_acc"], abs=0.01)
    assert gpu["fid"] == pytest.approx(cpu["fid"], rel=0.02)  # the same seeded draws, up to float rounding


def test_a_search_trains_its_trials_on_the_gpu_and_exports(tmp_path, mnist_dir, tiny_space):
    space = load_space(tiny_space(max_steps=40, grace_period=40, patience=50))
    options = SearchOptions(num_samples=2, gpus_per_trial=0.5, storage_path=str(tmp_path), name="gpu", verbose=0)
    outcome = run_search(space, open_source("mnist", mnist_dir), options, export=tmp_path / "best.safetensors")
    assert len(outcome.rows) == 2 and all(row.status.value == "completed" for row in outcome.rows)
    devices = {r["device"] for path in (tmp_path / "gpu").glob("*/result.json") for r in read_jsonl(path)}
    assert devices == {"cuda"}
    assert load_generator(tmp_path / "best.safetensors", device="cuda").sample(4).is_cuda


@pytest.mark.parametrize("model", ["dcgan", "cgan"])
def test_the_compiled_step_on_the_gpu_gives_the_eager_steps_losses(mnist_dir, model):
    """compile: on with CUDA graphs (mode reduce-overhead): the eager step's losses, step by step, within float
    tolerance, and still compiled (not fallen back) at the end."""
    from raygan.config import GANConfig
    from raygan.data import load_dataset
    from raygan.trainer import GANTrainer

    data = load_dataset("mnist", mnist_dir, "train", device="cuda")
    losses = {}
    for compile in ("off", "on"):
        config = GANConfig.from_dict({"model": model, "batch_size": 64, "seed": 1, "compile": compile})
        trainer = GANTrainer(config, data, "cuda")
        seen = []
        trainer.run_steps(6, 1, on_report=lambda report: seen.extend((report["loss_d"], report["loss_g"])))
        losses[compile] = seen
    assert trainer._generate.active and trainer._judge_fn.active
    assert losses["on"] == pytest.approx(losses["off"], rel=1e-3, abs=1e-4)
