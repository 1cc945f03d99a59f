"""Precision, recall, density, coverage: against a brute-force reference and clear-cut cases."""
import numpy as np
import pytest
import scipy.spatial.distance
import torch

from raygan.metrics.prdc import knn_radii, prdc


def brute_force(real, fake, k):
    """Kynkaanniemi / Naeem et al. with full distance matrices (balls include their boundary)."""
    real, fake = real.double().numpy(), fake.double().numpy()
    real_radii = np.sort(scipy.spatial.distance.cdist(real, real), axis=1)[:, k]
    fake_radii = np.sort(scipy.spatial.distance.cdist(fake, fake), axis=1)[:, k]
    d = scipy.spatial.distance.cdist(real, fake)  # (N, M)
    inside = d <= real_radii[:, None]
    return {
        "precision": inside.any(axis=0).mean(),
        "recall": (d <= fake_radii[None, :]).any(axis=1).mean(),
        "density": inside.sum() / (k * fake.shape[0]),
        "coverage": (d.min(axis=1) <= real_radii).mean(),
    }


def gaussian(n, seed, shift=0.0, dim=8):
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) + shift


def test_matches_brute_force_across_chunks():
    real, fake = gaussian(700, 0), gaussian(450, 1, shift=0.4)
    result = prdc(real, fake, k=5, chunk=128)
    expected = brute_force(real, fake, 5)
    assert result == pytest.approx(expected, abs=1e-12)
    assert 0.1 < result["precision"] < 0.95 and 0.1 < result["recall"] < 0.95  # not a trivial case


def test_knn_radii_skip_the_point_itself():
    x = torch.tensor([[0.0], [1.0], [3.0], [6.0]])
    assert knn_radii(x, k=1).tolist() == [1.0, 1.0, 4.0, 9.0]  # squared distance to nearest other point
    assert knn_radii(x, k=2).tolist() == [9.0, 4.0, 9.0, 25.0]


def test_identical_and_disjoint_sets():
    real = gaussian(500, 2)
    same = prdc(real, real.clone())
    assert same["precision"] == same["recall"] == same["coverage"] == 1.0
    far = prdc(real, gaussian(500, 3, shift=100.0))
    assert far == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_half_the_modes_keeps_precision_and_halves_recall():
    # Ten well-separated clusters ("classes"); one fake set covers all ten, the other only five.
    centres = 20.0 * torch.eye(10, dtype=torch.float64)
    real = gaussian(2000, 4, dim=10) + centres[torch.arange(2000) % 10]
    full = prdc(real, gaussian(1000, 5, dim=10) + centres[torch.arange(1000) % 10])
    half = prdc(real, gaussian(1000, 5, dim=10) + centres[torch.arange(1000) % 5])
    assert half["precision"] == pytest.approx(full["precision"], abs=0.03)
    assert half["density"] == pytest.approx(full["density"], rel=0.1)
    for name in ("recall", "coverage"):
        assert half[name] == pytest.approx(full[name] / 2, abs=0.05)


def test_needs_more_than_k_vectors():
    with pytest.raises(ValueError, match="more than k=5"):
        knn_radii(torch.zeros(5, 2))
