"""raygan.metrics.evaluate / evaluate_generator and the ``python -m raygan.evaluate`` CLI."""
import json
import math
import subprocess
import sys

import pytest
import torch
from torch import nn

from raygan.config import GANConfig
from raygan.data import dataset_info, load_dataset
from raygan.errors import RayganError
from raygan.generator_file import save_generator
from raygan.metrics import (METRICS, QUICK_METRICS, Evaluator, Measurer, evaluate, evaluate_generator,
                            quick_metrics)
from raygan.metrics.evaluator import weights_path
from raygan.metrics.registry import NEEDS_LABELS


def evaluator_id(dataset: str) -> str:
    return Evaluator.load(dataset).id
from raygan.evaluate import main as cli_main
from raygan.models import build_generator


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    return load_dataset("mnist", mnist_dir, "train"), load_dataset("mnist", mnist_dir, "test")


def test_real_images_score_well_on_every_metric(mnist, mnist_dir):
    train, _ = mnist
    result = evaluate(train.floats(0, 2000), "mnist", mnist_dir)
    assert list(result) == [name for name in METRICS if name not in NEEDS_LABELS] + ["num_samples", "evaluator"]
    assert result["num_samples"] == 2000 and result["evaluator"] == evaluator_id("mnist")
    assert 0 < result["kid_std"] < 2  # KID's spread over its subsets (about 1 here), reported next to its mean
    assert result["fid"] < 15 and result["kid"] < 1.0 and result["inception_score"] > 9.5
    assert result["precision"] > 0.9 and result["recall"] > 0.9 and 0.9 < result["density"] < 1.1
    assert result["coverage"] > 0.45  # 2000 samples cannot reach every ball of 10000 test images
    assert result["classes_covered"] == 10 and result["class_kl"] < 0.01
    with_labels = evaluate(train.floats(0, 2000), "mnist", mnist_dir, labels=train.labels[:2000].tolist(),
                           metrics=["label_acc"])
    assert with_labels["label_acc"] > 0.98


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_samples_give_finite_bad_values(value, mnist, mnist_dir):
    train, _ = mnist
    samples = train.floats(0, 500)
    samples[:, :, 10:20, 10:20] = value  # a broken patch in every image
    broken = evaluate(samples, "mnist", mnist_dir, labels=train.labels[:500])
    assert all(math.isfinite(broken[name]) for name in METRICS), broken
    everywhere = evaluate(torch.full((500, 1, 28, 28), value), "mnist", mnist_dir)
    assert all(math.isfinite(everywhere[name]) for name in METRICS if name not in NEEDS_LABELS), everywhere
    real = evaluate(train.floats(500, 1000), "mnist", mnist_dir, metrics=["fid"])["fid"]
    assert everywhere["fid"] > broken["fid"] > 5 * real


def test_user_mistakes_are_one_line_errors(mnist, mnist_dir):
    train, _ = mnist
    images = train.floats(0, 20)
    cases = [
        (lambda: evaluate(train.images[:20], "mnist", mnist_dir), "float tensor"),
        (lambda: evaluate(images.view(20, 784), "mnist", mnist_dir), "float tensor"),
        (lambda: evaluate(images[:5], "mnist", mnist_dir), "at least 10 samples"),
        (lambda: evaluate(images, "mnist", mnist_dir, metrics=["fidd"]), "unknown metric 'fidd'"),
        (lambda: evaluate(images, "mnist", mnist_dir, metrics=["label_acc"]), "needs the labels"),
        (lambda: evaluate(images, "mnist", mnist_dir, labels=torch.full((20,), 10)), "labels must be"),
        (lambda: evaluate(images, "mnist", None, metrics=["fid"]), "need its test split; pass data_dir"),
        (lambda: evaluate(images, "cifar", mnist_dir), "unknown dataset 'cifar'"),
    ]
    for call, message in cases:
        with pytest.raises(RayganError, match=message):
            call()
    assert evaluate(images, "mnist", None, metrics=["classes_covered"]) == {
        "classes_covered": 10, "num_samples": 20, "evaluator": evaluator_id("mnist")}


def test_a_measurer_embeds_its_test_split_once_and_moves_with_its_device(mnist):
    _, test = mnist
    measurer = Measurer(Evaluator.load("mnist"), test)
    assert measurer.reference is None  # nothing is embedded until a metric compares with real data
    first = measurer.real()
    assert measurer.real() is first and first.features.shape == (10000, 128)
    assert first.stats is first.stats  # computed once
    assert measurer.to("cpu") is measurer and measurer.real() is first


def test_a_measurer_without_a_test_split_measures_only_what_needs_no_real_data(mnist):
    _, test = mnist
    measurer = Measurer(Evaluator.load("mnist"))
    assert measurer.measure(test.floats(0, 500), metrics=["classes_covered"])["classes_covered"] == 10
    with pytest.raises(RayganError, match="need its test split; pass data_dir"):
        measurer.measure(test.floats(0, 50), metrics=["fid"])


def test_evaluator_id_is_the_weights_hash():
    import hashlib

    digest = hashlib.sha256(weights_path(dataset_info("fashion_mnist")).read_bytes()).hexdigest()[:8]
    assert evaluator_id("fashion_mnist") == f"fashion_mnist-{digest}" != evaluator_id("mnist")


class LookupGenerator(nn.Module):
    """A stand-in generator that 'draws' real test images of the requested classes."""

    def __init__(self, data, conditional):
        super().__init__()
        self.data, self.conditional, self.num_classes, self.latent_dim = data, conditional, 10, 2
        self.anchor = nn.Parameter(torch.zeros(1))
        self.asked = None

    def sample(self, n, labels=None, generator=None):
        self.asked = labels
        pool = torch.randint(len(self.data), (n,), generator=generator)
        if labels is not None:  # the i-th example of each requested class
            by_class = [torch.nonzero(self.data.labels == c).flatten() for c in range(10)]
            pool = torch.stack([by_class[c][int(p) % len(by_class[c])] for c, p in zip(labels.tolist(), pool)])
        return self.data.floats()[pool]


def test_evaluate_generator_balances_labels_and_is_seeded(mnist, mnist_dir):
    _, test = mnist
    conditional = LookupGenerator(test, conditional=True)
    result = evaluate_generator(conditional, "mnist", mnist_dir, num=1000, metrics=quick_metrics(True))
    assert torch.bincount(conditional.asked).tolist() == [100] * 10
    assert list(result) == [*QUICK_METRICS, "label_acc", "label_acc_worst", "intra_fid", "num_samples",
                            "samples_per_class", "evaluator"]
    assert result["label_acc"] > 0.98 and result["classes_covered"] == 10 and result["samples_per_class"] == 100
    unconditional = LookupGenerator(test, conditional=False)
    first = evaluate_generator(unconditional, "mnist", mnist_dir, num=500, metrics=["fid"], seed=1)
    assert first == evaluate_generator(unconditional, "mnist", mnist_dir, num=500, metrics=["fid"], seed=1)
    assert first != evaluate_generator(unconditional, "mnist", mnist_dir, num=500, metrics=["fid"], seed=2)
    assert quick_metrics(False) == QUICK_METRICS


def test_per_class_metrics_and_their_sample_count_come_only_with_a_conditional_generator(mnist):
    _, test = mnist
    measurer = Measurer(Evaluator.load("mnist"), test)
    conditional = measurer.measure_generator(LookupGenerator(test, conditional=True), num=500)
    unconditional = measurer.measure_generator(LookupGenerator(test, conditional=False), num=500)
    assert set(conditional) - set(unconditional) == {*NEEDS_LABELS, "samples_per_class"}
    assert conditional["samples_per_class"] == 50  # the balanced labels: 500 samples over 10 classes
    assert conditional["label_acc_worst"] > 0.9 and 0 < conditional["intra_fid"] < math.inf


@pytest.fixture(scope="module")
def generator_file(tmp_path_factory):
    config = GANConfig(model="gan", dataset="fashion_mnist", latent_dim=8, g_hidden=(32,), d_hidden=(32,))
    torch.manual_seed(0)
    return save_generator(tmp_path_factory.mktemp("gen") / "g.safetensors", build_generator(config), config)


def test_cli_prints_metrics_as_json(generator_file, fashion_dir, capsys):
    cli_main([str(generator_file), "--data-dir", str(fashion_dir), "--num", "200", "--metrics", "fid,classes_covered",
              "--device", "cpu"])
    out = json.loads(capsys.readouterr().out)
    assert out["dataset"] == "fashion_mnist" and out["num_samples"] == 200  # the generator's own dataset
    assert out["fid"] > 100 and 1 <= out["classes_covered"] <= 10  # an untrained generator


@pytest.mark.parametrize("args, message", [
    (["missing.safetensors"], "generator file missing.safetensors does not exist"),
    (["GEN", "--num", "0"], "argument --num: must be at least 1, got 0"),
    (["GEN", "--metrics", "fid,nope"], "unknown metric 'nope'"),
    (["GEN", "--metrics", "label_acc"], "needs the labels"),
    (["GEN", "--metrics", "fid"], "need its test split; pass --data-dir"),
    (["GEN", "--data-dir", "/nonexistent/fashion"], "/nonexistent/fashion does not exist"),
    (["GEN", "--data-dir", "GEN"], "is a file; pass the folder"),
    (["FOLDER"], "is a folder; pass the generator .safetensors file"),
])
def test_cli_user_errors_are_one_line_exit_2(args, message, generator_file, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli_main([str(generator_file) if a == "GEN" else str(generator_file.parent) if a == "FOLDER" else a
                  for a in args])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.startswith("raygan.evaluate: error: ") and message in err and err.count("\n") == 1


def test_cli_module_entry_point(tmp_path):
    done = subprocess.run([sys.executable, "-m", "raygan.evaluate", str(tmp_path / "g.safetensors")],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("raygan.evaluate: error: generator file")


def test_cli_help_lists_the_registry(capsys):
    with pytest.raises(SystemExit):
        cli_main(["--help"])
    text = capsys.readouterr().out
    assert all(f"  {name}: " in text for name in METRICS)


def test_cli_appends_to_the_run_folder_the_generator_came_from(tmp_path, generator_file, fashion_dir, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "options.json").write_text("{}")  # what marks a python -m raygan.train folder
    generator = run / "generator.safetensors"
    generator.write_bytes(generator_file.read_bytes())
    for seed in ("0", "1"):
        cli_main([str(generator), "--data-dir", str(fashion_dir), "--num", "100", "--metrics", "fid",
                  "--seed", seed])
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    from raygan.records import read_jsonl

    assert read_jsonl(run / "evaluations.jsonl") == printed
    assert [r["seed"] for r in printed] == [0, 1] and printed[0]["num_samples"] == 100
    cli_main([str(generator_file), "--data-dir", str(fashion_dir), "--num", "100", "--metrics", "fid"])
    assert not (generator_file.parent / "evaluations.jsonl").exists()  # not from a run folder: print only


@pytest.mark.slow
def test_a_terminal_gets_bars_over_sampling_embedding_and_the_metrics(tmp_path, mnist_dir, in_terminal):
    config = GANConfig(model="dcgan", dataset="mnist")
    torch.manual_seed(0)
    generator = save_generator(tmp_path / "g.safetensors", build_generator(config), config)

    def command(num):
        return ["raygan.evaluate", str(generator), "--data-dir", str(mnist_dir), "--num", str(num),
                "--metrics", "fid,classes_covered", "--device", "cpu"]

    screen, out, returncode = in_terminal(command(5000))
    assert returncode == 0 and json.loads(out)["num_samples"] == 5000
    for stage in ("sampling", "embedding"):  # over the 5000 images, with a rate
        assert f"{stage}:" in screen and "/5000 [" in screen and "img/s]" in screen, (stage, screen[-2000:])
    assert "metrics: 0/2 [" in screen and ", fid]" in screen and ", classes_covered]" in screen

    piped = subprocess.run([sys.executable, "-m", *command(200)], capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0 and "sampling" not in piped.stderr and "\r" not in piped.stderr
    assert json.loads(piped.stdout)["num_samples"] == 200


def test_the_bars_leave_the_seeded_samples_as_they_were(mnist_dir):
    config = GANConfig(model="gan", dataset="mnist", latent_dim=8, g_hidden=(32,), d_hidden=(32,))
    torch.manual_seed(0)
    generator = build_generator(config)
    z = torch.randn(5000, generator.latent_dim, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        generator.eval()
        expected = torch.cat([generator(z[:4096]), generator(z[4096:])])  # one noise draw, batches of 4096
    drawn = []
    assert torch.equal(generator.sample(5000, generator=torch.Generator().manual_seed(3), on_batch=drawn.append),
                       expected)
    assert drawn == [4096, 904]
    assert evaluate_generator(generator, "mnist", mnist_dir, num=300, metrics=["fid"], seed=3, progress=True) == \
        evaluate_generator(generator, "mnist", mnist_dir, num=300, metrics=["fid"], seed=3)
