"""The shipped evaluator: accuracy targets, sanity of its features, and FID's ordering of sets."""
import json

import pytest
import torch
from torch import nn

from raygan.data import dataset_info, load_dataset
from raygan.errors import RayganError
from raygan.metrics import evaluate, evaluator
from raygan.metrics.evaluator import Evaluator, EvaluatorNet, embed, recorded_accuracy, sanitize
from raygan.metrics.evaluator_training import save
from raygan.metrics.fid import fid
from raygan.metrics.modes import label_accuracy
from raygan.metrics.train_evaluator import main as train_main

TARGETS = {"mnist": 0.99, "fashion_mnist": 0.90}


@pytest.mark.parametrize("dataset, fixture", [("mnist", "mnist_dir"), ("fashion_mnist", "fashion_dir")])
def test_shipped_weights_meet_targets_on_the_test_split(dataset, fixture, request):
    test = load_dataset(dataset, request.getfixturevalue(fixture), "test")
    accuracy = label_accuracy(embed(Evaluator.load(dataset).network(), test.floats())[1], test.labels)
    assert accuracy >= TARGETS[dataset]
    assert accuracy == pytest.approx(recorded_accuracy()[dataset]["test_accuracy"], abs=0.002)
    assert evaluator.weights_path(dataset_info(dataset)).stat().st_size < 2_000_000


def test_sanitize_makes_any_output_a_valid_image():
    images = torch.tensor([float("nan"), float("inf"), -float("inf"), 3.0, -0.5]).view(1, 1, 1, 5)
    assert sanitize(images).flatten().tolist() == [0.0, 1.0, -1.0, 1.0, -0.5]
    features, probs = embed(Evaluator.load("mnist").network(), torch.full((4, 1, 28, 28), float("nan")))
    assert torch.isfinite(features).all() and torch.allclose(probs.sum(dim=1), torch.ones(4))


def test_missing_or_corrupt_weights_are_user_errors(tmp_path, monkeypatch):
    monkeypatch.setattr(evaluator, "WEIGHTS_DIR", tmp_path)
    with pytest.raises(RayganError, match="missing; retrain it with python -m raygan.metrics.train_evaluator"):
        Evaluator.load("mnist")
    (tmp_path / "mnist.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(RayganError, match="unreadable"):
        Evaluator.load("mnist").network()


def test_saved_weights_load_back_and_records_merge(tmp_path, monkeypatch):
    torch.manual_seed(0)
    net = EvaluatorNet().eval()
    save(net, "mnist", tmp_path, {"test_accuracy": 0.5})
    save(net, "fashion_mnist", tmp_path, {"test_accuracy": 0.25})
    monkeypatch.setattr(evaluator, "WEIGHTS_DIR", tmp_path)
    loaded = Evaluator.load("mnist").network()
    x = torch.rand(3, 1, 28, 28) * 2 - 1
    assert torch.equal(loaded(x)[1], net(x)[1])
    assert json.loads((tmp_path / "accuracy.json").read_text()) == {
        "mnist": {"test_accuracy": 0.5}, "fashion_mnist": {"test_accuracy": 0.25}}


def test_train_cli_reports_a_bad_data_dir_in_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        train_main(["--dataset", "mnist", "--data-dir", str(tmp_path / "nowhere"), "--out-dir", str(tmp_path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("raygan.metrics.train_evaluator: error: mnist --data-dir") and err.count("\n") == 1


def _blur(images, sigma=1.0):
    taps = torch.exp(-torch.arange(-3.0, 4.0) ** 2 / (2 * sigma ** 2))
    kernel = (taps / taps.sum()).view(1, 1, 7)
    rows = nn.functional.conv2d(nn.functional.pad(images, (3, 3, 0, 0), value=-1.0), kernel.view(1, 1, 1, 7))
    return nn.functional.conv2d(nn.functional.pad(rows, (0, 0, 3, 3), value=-1.0), kernel.view(1, 1, 7, 1))


@pytest.fixture(scope="module")
def degraded(mnist_dir):
    """Stand-ins for generators of decreasing quality, 3000 samples each, best first."""
    train = load_dataset("mnist", mnist_dir, "train")
    g = torch.Generator().manual_seed(0)
    real = train.floats(0, 3000)
    return {
        "real": real,
        "noised real": (real + 0.2 * torch.randn(real.shape, generator=g)).clamp(-1, 1),
        "blurred real": _blur(real),
        "five classes": train.floats(0, 8000)[train.labels[:8000] < 5][:3000],
        "one class": train.floats()[train.labels == 1][:3000],
        "uniform noise": torch.rand(real.shape, generator=g) * 2 - 1,
    }


@pytest.fixture(scope="module")
def raygan_fid(degraded, mnist_dir):
    return {name: evaluate(x, "mnist", mnist_dir, metrics=["fid"])["fid"] for name, x in degraded.items()}


def test_fid_orders_real_noised_blurred_one_class_noise(raygan_fid):
    order = ["real", "noised real", "blurred real", "one class", "uniform noise"]
    values = [raygan_fid[name] for name in order]
    assert values == sorted(values) and len(set(values)) == len(values), raygan_fid


def test_an_independent_classifier_ranks_the_sets_like_raygan_fid(degraded, raygan_fid, mnist_dir):
    # A pixel MLP (no convolutions), trained here on the other half of the train split.
    train, test = (load_dataset("mnist", mnist_dir, split) for split in ("train", "test"))
    torch.manual_seed(1)
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = torch.optim.Adam(mlp.parameters(), 1e-3)
    images, labels = train.floats(30000), train.labels[30000:]
    for start in range(0, len(labels), 128):
        loss = nn.functional.cross_entropy(mlp(images[start:start + 128]), labels[start:start + 128])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        assert (mlp(test.floats()).argmax(dim=1) == test.labels).float().mean() > 0.9
        hidden = mlp[:5]
        reference = hidden(test.floats())
        independent = {name: fid(hidden(x), reference) for name, x in degraded.items()}
    assert sorted(raygan_fid, key=raygan_fid.get) == sorted(independent, key=independent.get) == list(degraded)


def test_train_evaluator_cli_rejects_bad_paths_before_training(tmp_path, mnist_dir, capsys):
    from raygan.metrics.train_evaluator import main

    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    for args, message in ((["--data-dir", str(a_file)], "is a file; pass the folder"),
                          (["--data-dir", str(mnist_dir), "--out-dir", str(a_file)], "is a file; give a folder"),
                          (["--data-dir", str(mnist_dir), "--seed", "-1"], "--seed: must be 0 or more")):
        with pytest.raises(SystemExit) as exit_info:
            main(["--dataset", "mnist", *args])
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and err.count("\n") == 1 and message in err, err
