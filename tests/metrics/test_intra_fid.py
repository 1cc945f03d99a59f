"""Intra-class FID: against exact per-class distances, an independent per-class computation on real MNIST
features, and what a reference keeps of the test split's classes."""
import pickle

import numpy as np
import pytest
import torch

from raygan.data import load_dataset
from raygan.errors import RayganError
from raygan.metrics import Evaluator, Measurer, Reference
from raygan.metrics.evaluator import embed
from raygan.metrics.intra_fid import class_stats, intra_fid


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    return load_dataset("mnist", mnist_dir, "train"), load_dataset("mnist", mnist_dir, "test")


@pytest.fixture(scope="module")
def measurer(mnist):
    return Measurer(Evaluator.load("mnist"), mnist[1])


def independent_fid(a: np.ndarray, b: np.ndarray) -> float:
    """FID of two float64 feature sets in plain numpy: tr((S1 S2)^(1/2)) from the eigenvalues of the product
    itself (real and >= 0 up to rounding), not fid.py's symmetric square roots."""
    mu1, mu2, s1, s2 = a.mean(0), b.mean(0), np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvals(s1 @ s2).real, 0.0, None)).sum()
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * trace_sqrt)


def test_shifted_classes_give_the_mean_squared_shift():
    # Each class's samples are its real features moved by a vector d_c: same covariance, so FID_c = |d_c|^2 exactly.
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(600) % 3
    real = torch.randn(600, 16, generator=g, dtype=torch.float64) * torch.tensor([1.0, 2.0, 0.5])[labels].unsqueeze(1)
    shifts = torch.tensor([0.0, 1.0, 3.0], dtype=torch.float64)  # d_c = shift_c along every axis: |d_c|^2 = 16 shift^2
    samples = real + shifts[labels].unsqueeze(1)
    expected = float(np.mean([16 * s ** 2 for s in shifts.tolist()]))
    assert intra_fid(samples, labels, class_stats(real, labels)) == pytest.approx(expected, rel=1e-9, abs=1e-9)
    only_two = labels != 2  # samples of classes 0 and 1 only: the mean over the classes generated for
    assert intra_fid(samples[only_two], labels[only_two], class_stats(real, labels)) == pytest.approx(8.0, rel=1e-9)


def test_real_images_match_a_per_class_computation_by_hand(mnist, measurer):
    train, test = mnist
    images, labels = train.floats(0, 3000), train.labels[:3000]
    measured = measurer.measure(images, labels=labels, metrics=["intra_fid", "fid"])
    fake = embed(measurer.net, images)[0].double().numpy()
    real = embed(measurer.net, test.floats())[0].double().numpy()
    by_hand = np.mean([independent_fid(fake[labels.numpy() == c], real[test.labels.numpy() == c]) for c in range(10)])
    assert measured["intra_fid"] == pytest.approx(by_hand, rel=1e-4)
    assert measured["samples_per_class"] == int(torch.bincount(labels).min())
    # every class is drawn from its own test distribution: intra-FID is of the order of FID (larger: fewer samples)
    assert measured["fid"] < measured["intra_fid"] < 3 * measured["fid"]


def test_right_images_for_the_wrong_labels_pass_fid_but_not_intra_fid(mnist, measurer):
    _, test = mnist
    images, labels = test.floats(0, 3000), test.labels[:3000]
    right = measurer.measure(images, labels=labels, metrics=["fid", "intra_fid"])
    wrong = measurer.measure(images, labels=(labels + 1) % 10, metrics=["fid", "intra_fid"])
    assert wrong["fid"] == right["fid"]  # the same images
    assert wrong["intra_fid"] > 20 * right["intra_fid"]


def test_too_few_samples_of_a_class_leave_it_out_or_say_so(mnist, measurer):
    _, test = mnist
    images, labels = test.floats(0, 30), torch.arange(30) % 10
    labels[0], labels[10] = 9, 8  # class 0 keeps one sample
    record = measurer.measure(images, labels=labels)
    assert "intra_fid" not in record and record["samples_per_class"] == 1 and "label_acc_worst" in record
    with pytest.raises(RayganError, match="'intra_fid' needs at least 2 samples of each class; class 0 has 1") as err:
        measurer.measure(images, labels=labels, metrics=["intra_fid"])
    assert "\n" not in str(err.value)


def test_a_reference_keeps_its_class_statistics_when_pickled_or_moved(measurer, mnist):
    _, test = mnist
    reference = measurer.real()
    assert torch.equal(reference.labels, test.labels)
    stats = reference.class_stats
    assert reference.class_stats is stats and sorted(stats) == list(range(10))  # computed once
    mu, sigma = stats[4]
    fours = reference.features[test.labels == 4].double().numpy()
    assert np.allclose(mu, fours.mean(0)) and np.allclose(sigma, np.cov(fours, rowvar=False))
    arrived = pickle.loads(pickle.dumps(reference))
    assert "class_stats" in arrived.__dict__ and torch.equal(arrived.labels, reference.labels)
    assert all(np.array_equal(arrived.class_stats[c][1], stats[c][1]) for c in stats)
    assert reference.to("cpu").class_stats is stats  # moved along, not recomputed
    shipped = pickle.loads(pickle.dumps(measurer))  # how a search ships it to its trials
    assert all(np.array_equal(shipped.reference.class_stats[c][0], stats[c][0]) for c in stats)
    assert Reference(reference.features).labels is None  # data without classes
