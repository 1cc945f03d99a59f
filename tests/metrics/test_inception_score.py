"""Inception score: its bounds, an independent scipy formula, and real test images."""
import math

import numpy as np
import pytest
import scipy.stats
import torch

from raygan.data import load_dataset
from raygan.metrics import evaluate
from raygan.metrics.inception_score import inception_score


def test_bounds_one_to_number_of_classes():
    confident_balanced = torch.eye(10).repeat(30, 1)
    assert inception_score(confident_balanced) == pytest.approx(10.0, rel=1e-12)
    one_class = torch.eye(10)[torch.full((300,), 4)]
    assert inception_score(one_class) == pytest.approx(1.0, rel=1e-12)
    undecided = torch.full((300, 10), 0.1)
    assert inception_score(undecided) == pytest.approx(1.0, rel=1e-12)


def test_matches_scipy_entropy_formula():
    probs = np.random.default_rng(0).dirichlet(np.full(10, 0.3), size=500)
    marginal = probs.mean(axis=0)
    expected = math.exp(np.mean([scipy.stats.entropy(p, marginal) for p in probs]))
    assert inception_score(torch.from_numpy(probs)) == pytest.approx(expected, rel=1e-9)


def test_real_test_images_score_high(mnist_dir, fashion_dir):
    # Fashion-MNIST's evaluator is right 91.5 % of the time, so its real images score lower.
    for dataset, data_dir, floor in (("mnist", mnist_dir, 9.0), ("fashion_mnist", fashion_dir, 8.0)):
        images = load_dataset(dataset, data_dir, "test").floats(0, 5000)
        value = evaluate(images, dataset, data_dir, metrics=["inception_score"])["inception_score"]
        assert floor <= value <= 10.0, dataset
