"""Mode metrics: class coverage, KL to uniform and label accuracy (mean and worst class), on exact and real inputs."""
import math

import pytest
import torch

from raygan.data import load_dataset
from raygan.metrics import METRICS, Samples, evaluate
from raygan.metrics.modes import class_counts, class_kl, classes_covered, label_accuracy, per_class_accuracy


def one_hot(labels):
    return torch.eye(10)[torch.as_tensor(labels)]


def test_one_class_gives_one_and_log10():
    probs = one_hot([7] * 100)
    assert classes_covered(probs) == 1
    assert class_kl(probs) == pytest.approx(math.log(10), rel=1e-12)


def test_balanced_gives_ten_and_zero():
    probs = one_hot(list(range(10)) * 20)
    assert classes_covered(probs) == 10
    assert class_kl(probs) == pytest.approx(0.0, abs=1e-12)


def test_coverage_threshold_is_a_share_of_uniform():
    # 1000 samples: classes 0..8 share 995, class 9 gets 5 (0.5 %, below the default 1 %).
    labels = [i % 9 for i in range(995)] + [9] * 5
    assert classes_covered(one_hot(labels)) == 9
    assert classes_covered(one_hot(labels), min_share=0.05) == 10
    labels = [i % 9 for i in range(990)] + [9] * 10  # exactly 1 %: counted
    assert classes_covered(one_hot(labels)) == 10


def test_label_accuracy_counts_matches():
    probs = one_hot([0, 1, 2, 3])
    assert label_accuracy(probs, torch.tensor([0, 1, 2, 0])) == 0.75


def test_per_class_accuracy_and_its_worst_class():
    # asked for 0,0,0,0 | 1,1 | 2,2,2,2 | (never 3); one 0 drawn as a 1, one 2 as a 7
    labels = torch.tensor([0, 0, 0, 0, 1, 1, 2, 2, 2, 2])
    probs = one_hot([0, 0, 0, 1, 1, 1, 2, 2, 2, 7])
    assert class_counts(labels) == {0: 4, 1: 2, 2: 4}
    assert per_class_accuracy(probs, labels) == {0: 0.75, 1: 1.0, 2: 0.75}
    assert label_accuracy(probs, labels) == 0.8
    probs[9] = one_hot([2])[0]  # class 2 now right every time: class 0 alone is the worst
    samples = Samples(torch.zeros(10, 128), probs, labels, real=pytest.fail)  # needs no real data
    assert METRICS["label_acc_worst"](samples) == 0.75 and METRICS["label_acc"](samples) == 0.9


def test_real_images_of_one_class(mnist_dir):
    train = load_dataset("mnist", mnist_dir, "train")
    sevens = train.floats()[train.labels == 7][:3000]
    result = evaluate(sevens, "mnist", mnist_dir, metrics=["classes_covered", "class_kl"])
    assert result["classes_covered"] == 1
    assert result["class_kl"] == pytest.approx(math.log(10), abs=0.05)


@pytest.mark.parametrize("dataset, fixture, floor, worst_floor",
                         [("mnist", "mnist_dir", 0.99, 0.97), ("fashion_mnist", "fashion_dir", 0.90, 0.70)])
def test_real_test_images_with_true_labels(dataset, fixture, floor, worst_floor, request):
    data_dir = request.getfixturevalue(fixture)
    test = load_dataset(dataset, data_dir, "test")
    images, labels = test.floats(0, 5000), test.labels[:5000]
    names = ["label_acc", "label_acc_worst"]
    right = evaluate(images, dataset, data_dir, labels=labels, metrics=names)
    # Fashion-MNIST's shirts are its evaluator's hardest class (0.74 when measured): the worst is well below the mean
    assert right["label_acc"] >= floor and worst_floor <= right["label_acc_worst"] < right["label_acc"]
    assert right["samples_per_class"] == int(torch.bincount(labels).min())
    wrong = evaluate(images, dataset, data_dir, labels=(labels + 1) % 10, metrics=names)
    assert wrong["label_acc"] < 0.02 and wrong["label_acc_worst"] == 0.0


def test_diversity_is_about_one_for_real_data_and_zero_for_repeats(mnist_dir):
    from raygan.data import load_dataset
    from raygan.metrics import evaluate

    train = load_dataset("mnist", mnist_dir, "train").floats(0, 2000)
    real = evaluate(train, "mnist", mnist_dir, metrics=["diversity", "classes_covered"])
    repeated = evaluate(train[:20].repeat(100, 1, 1, 1), "mnist", mnist_dir, metrics=["diversity", "classes_covered"])
    assert 0.8 < real["diversity"] < 1.2
    assert repeated["diversity"] < 0.05 and repeated["classes_covered"] == 10  # classes alone miss this collapse
