"""Evaluators for image folders: trained on the folder's training split, cached by its fingerprint, named
in every metric record; class metrics only where there are classes."""
import json

import pytest
import torch

from raygan.data import load_dataset
from raygan.errors import RayganError
from raygan.metrics import Evaluator, Measurer, evaluate
from raygan.metrics.evaluator import recorded_accuracy, weights_path
from raygan.metrics.evaluator_training import ensure_evaluator, rotated, train
from raygan.metrics.train_evaluator import main


def test_a_classifier_of_the_folders_classes_reaches_95_percent_on_its_holdout(digit_folder):
    train_set, test_set = (load_dataset("folder", digit_folder, split) for split in ("train", "test"))
    net, accuracy = train(train_set, test_set, steps=300, log=lambda line: None)
    assert accuracy >= 0.95, accuracy  # 900 real digits, 300 steps; the full recipe gets 99.3 % on all of MNIST
    assert net.head.out_features == 10


def test_a_flat_folder_learns_rotations_without_labels(flat_folder):
    train_set, test_set = (load_dataset("folder", flat_folder, split) for split in ("train", "test"))
    net, accuracy = train(train_set, test_set, steps=300, log=lambda line: None)
    assert net.head.out_features == 4 and accuracy >= 0.85, accuracy  # chance is 0.25


def test_rotated_turns_each_image_by_its_label():
    images = torch.arange(2 * 9, dtype=torch.float32).view(2, 1, 3, 3)
    turned = rotated(images, torch.tensor([0, 1]))
    assert torch.equal(turned[0], images[0]) and torch.equal(turned[1], torch.rot90(images[1], 1, dims=(1, 2)))


def test_the_evaluator_is_cached_by_fingerprint_and_named_in_records(colour_folder, folder_with_evaluator):
    train_set, test_set = folder_with_evaluator(colour_folder)
    info = test_set.info
    path = weights_path(info)
    assert path.is_file() and info.fingerprint in path.name
    assert ensure_evaluator(train_set, test_set, log=pytest.fail) == path  # cached: no training, no log line
    record = recorded_accuracy(info)
    assert record["task"] == "classes" and record["train_images"] == 900 and record["test_images"] == len(test_set)
    # the recorded accuracy is that of the stored weights on the held-out split, computed here without raygan's helpers
    logits = Evaluator.load(info).network()(test_set.floats())[1]
    held_out = (logits.argmax(dim=1) == test_set.labels).double().mean().item()
    assert record["held_out_accuracy"] == round(held_out, 4)
    assert held_out >= 0.95  # measured 1.0 after the fixture's 120 steps: each class has its own colour
    assert Evaluator.load(info).network().head.out_features == 10
    measured = evaluate(test_set.floats(), info, test_set)
    assert measured["evaluator"] == Evaluator.load(info).id and measured["evaluator"].startswith("colour_digits-")
    assert measured["fid"] == pytest.approx(0, abs=1e-3) and measured["classes_covered"] == 10
    noise = evaluate(torch.rand(200, 3, 32, 32) * 2 - 1, info, test_set, metrics=["fid"])
    assert noise["fid"] > 10 * max(measured["fid"], 1.0)


def test_an_unlabelled_folder_has_no_class_metrics(flat_folder, folder_with_evaluator):
    _, test_set = folder_with_evaluator(flat_folder)
    record = evaluate(test_set.floats(), test_set.info, test_set)
    assert {"fid", "kid", "precision", "recall", "diversity"} <= set(record)
    assert not {"inception_score", "classes_covered", "class_kl", "label_acc", "label_acc_worst", "intra_fid",
                "samples_per_class"} & set(record)
    with pytest.raises(RayganError, match="'classes_covered' needs a dataset with classes"):
        evaluate(test_set.floats(), test_set.info, test_set, metrics=["classes_covered"])
    for name in ("label_acc_worst", "intra_fid"):  # labels or not, a flat folder has no classes to measure them by
        for labels in (None, torch.zeros(len(test_set), dtype=torch.int64)):
            with pytest.raises(RayganError, match=f"'{name}' needs ") as err:
                evaluate(test_set.floats(), test_set.info, test_set, labels=labels, metrics=[name])
            assert "\n" not in str(err.value)


def test_a_missing_evaluator_says_how_to_train_it(tmp_path, digit_folder, mnist_arrays):
    from bench.folders import first_per_class, write_image_folder

    images, labels = first_per_class(*mnist_arrays, 3)
    folder = write_image_folder(tmp_path / "fresh", images, labels, list("abcdefghij"))
    test_set = load_dataset("folder", folder, "test")
    with pytest.raises(RayganError, match="missing; train it with python -m raygan.metrics.train_evaluator"):
        evaluate(test_set.floats(), test_set.info, test_set)


def test_train_evaluator_cli_trains_a_folder_into_the_cache(tmp_path, mnist_arrays, capsys):
    from bench.folders import first_per_class, write_image_folder

    images, labels = first_per_class(*mnist_arrays, 5)
    folder = write_image_folder(tmp_path / "cli", images, labels, list("0123456789"))
    main(["--data-dir", str(folder), "--steps", "20", "--image-size", "32", "--channels", "3"])
    test_set = load_dataset("folder", folder, "test", image_size=32, channels=3)
    record = json.loads(weights_path(test_set.info).with_suffix(".json").read_text())
    assert record["image_shape"] == [3, 32, 32] and record["steps"] == 20 and record["test_images"] == 10
    assert "held-out classes accuracy" in capsys.readouterr().out


def test_a_measurer_shipped_to_a_process_with_an_empty_cache_still_measures(colour_folder, folder_with_evaluator,
                                                                              tmp_path, monkeypatch):
    """How a trial on another node measures: the driver ships the measurer (weights and test features) with the
    data through Ray's object store, and the trial needs no evaluator file of its own."""
    import pickle

    _, test_set = folder_with_evaluator(colour_folder)
    measurer = Measurer(Evaluator.load(test_set.info), test_set)
    measurer.real()
    shipped = pickle.dumps(measurer)
    monkeypatch.setenv("RAYGAN_CACHE", str(tmp_path / "empty"))
    with pytest.raises(RayganError, match="missing"):
        Evaluator.load(test_set.info)
    arrived = pickle.loads(shipped)
    assert arrived.net is not measurer.net and arrived.reference is not None
    assert arrived.measure(test_set.floats(), metrics=["fid"])["fid"] == pytest.approx(0, abs=1e-3)
