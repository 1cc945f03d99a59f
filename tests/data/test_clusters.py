"""k-means pseudo-labels of real MNIST digits: deterministic, every cluster used, clusters that follow the digits."""
import pytest
import torch

from raygan.data import load_dataset
from raygan.data.clusters import POOLED, cluster_images, features


@pytest.fixture(scope="module")
def digits(mnist_dir):
    return load_dataset("mnist", mnist_dir, "test")


def _purity(assignments: torch.Tensor, labels: torch.Tensor, count: int) -> float:
    """The share of images whose cluster's most common digit is their own."""
    return sum(int(torch.bincount(labels[assignments == j], minlength=10).max()) for j in range(count)) / len(labels)


def test_clusters_follow_the_digits_far_above_chance_and_are_the_same_for_a_seed(digits):
    clusters = cluster_images(digits.images[:5000], 20, seed=0)
    again = cluster_images(digits.images[:5000], 20, seed=0)
    assert torch.equal(clusters.assignments, again.assignments) and torch.equal(clusters.centres, again.centres)
    # ten digits: a partition that ignored them would be about 11 % pure
    assert _purity(clusters.assignments, digits.labels[:5000], 20) > 0.6
    shares = clusters.shares()
    assert shares.shape == (20,) and float(shares.sum()) == pytest.approx(1.0) and float(shares.min()) > 0


def test_held_out_images_go_to_their_nearest_centre_and_the_training_ones_to_their_own(digits):
    clusters = cluster_images(digits.images[:3000], 10, seed=1)
    assert torch.equal(clusters.assign(digits.images[:3000]), clusters.assignments)
    held_out = clusters.assign(digits.images[3000:4000])
    distances = torch.cdist(features(digits.images[3000:4000]), clusters.centres)
    assert torch.equal(held_out, distances.argmin(1))
    assert _purity(held_out, digits.labels[3000:4000], 10) > 0.5


def test_more_clusters_than_distinct_images_puts_every_copy_with_its_own_kind(digits):
    images = digits.images[:3].repeat(4, 1, 1, 1)  # 12 images, 3 distinct
    clusters = cluster_images(images, 5)
    assert len(set(clusters.assignments.tolist())) == 3
    assert all(len(set(clusters.assignments[i::3].tolist())) == 1 for i in range(3))
    assert float(clusters.shares().sum()) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="cannot make 13 clusters of 12 images"):
        cluster_images(images, 13)


def test_colour_images_are_pooled_to_a_few_hundred_features():
    images = torch.randint(0, 256, (7, 3, 64, 64), dtype=torch.uint8)
    assert features(images).shape == (7, 3 * POOLED * POOLED)
    assert float(features(images).max()) <= 1.0
