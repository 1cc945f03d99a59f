"""FID: the eigendecomposition formula against closed forms and scipy's sqrtm reference; its standard error against
the spread of FID over independent sample sets of real MNIST."""
import math

import numpy as np
import pytest
import scipy.linalg
import torch

from raygan.data import load_dataset
from raygan.metrics import Evaluator
from raygan.metrics.evaluator import embed
from raygan.metrics.fid import fid, fid_standard_error, frechet_distance, gaussian_stats


def scipy_reference(mu1, sigma1, mu2, sigma2):
    """The formula of the FID paper's code (pytorch-fid), in float64 with scipy.linalg.sqrtm."""
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2).real
    diff = mu1 - mu2
    return diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)


def random_features(seed, n=2000, dim=64, shift=0.0):
    g = torch.Generator().manual_seed(seed)
    mixing = torch.randn(dim, dim, generator=g) / math.sqrt(dim)
    return torch.randn(n, dim, generator=g) @ mixing + shift


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_scipy_sqrtm_to_1e6_relative(seed):
    a, b = random_features(2 * seed), random_features(2 * seed + 1, shift=0.1 * seed)
    stats = (*gaussian_stats(a), *gaussian_stats(b))
    assert frechet_distance(*stats) == pytest.approx(scipy_reference(*stats), rel=1e-6)


def test_identical_sets_give_zero():
    features = random_features(0)
    trace = np.trace(gaussian_stats(features)[1])
    assert 0.0 <= fid(features, features) < 1e-9 * trace


def test_closed_form_for_known_gaussians():
    # N(mu1, c I) vs N(mu2, Q diag(b) Q^T): d = |mu1 - mu2|^2 + D c + sum(b) - 2 sqrt(c) sum(sqrt(b)).
    rng = np.random.default_rng(0)
    dim, c = 6, 2.0
    b = rng.uniform(0.1, 3.0, dim)
    q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    mu1, mu2 = rng.normal(size=dim), rng.normal(size=dim)
    expected = np.sum((mu1 - mu2) ** 2) + dim * c + b.sum() - 2 * math.sqrt(c) * np.sqrt(b).sum()
    assert frechet_distance(mu1, c * np.eye(dim), mu2, q @ np.diag(b) @ q.T) == pytest.approx(expected, rel=1e-10)


def test_sample_estimate_approaches_closed_form():
    # Samples of N(0, I) and N(1, 4 I) in 4 dims: d = 4 * 1 + 4 * (1 - 2)^2 = 8.
    g = torch.Generator().manual_seed(0)
    a = torch.randn(200_000, 4, generator=g)
    b = 1.0 + 2.0 * torch.randn(200_000, 4, generator=g)
    assert fid(a, b) == pytest.approx(8.0, rel=0.01)


def test_singular_covariances_stay_finite_and_exact():
    # A collapsed generator (one repeated vector) has a zero covariance: d = |mu1 - v|^2 + tr(S1).
    real = random_features(3, n=500)
    collapsed = torch.full((50, 64), 0.5)
    mu, sigma = gaussian_stats(real)
    expected = np.sum((mu - 0.5) ** 2) + np.trace(sigma)
    assert fid(real, collapsed) == pytest.approx(expected, rel=1e-9)
    few = random_features(4, n=5)  # rank 4 covariance in 64 dims
    mu_few, sigma_few = gaussian_stats(few)
    # tr((S1 S2)^(1/2)) from the eigenvalues of the product itself (real and >= 0 up to rounding)
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvals(sigma @ sigma_few).real, 0.0, None)).sum()
    expected = np.sum((mu - mu_few) ** 2) + np.trace(sigma) + np.trace(sigma_few) - 2 * trace_sqrt
    assert fid(real, few) == pytest.approx(expected, rel=1e-6)


def test_needs_two_vectors():
    with pytest.raises(ValueError, match="at least 2"):
        gaussian_stats(torch.zeros(1, 8))


def test_the_standard_error_matches_the_spread_over_independent_sample_sets(mnist_dir):
    """Thirty disjoint sets of 2,000 noised MNIST training digits, as a generator's reports would draw them: the
    standard error of a set's FID against the test split is within a factor 1.6 of the standard deviation of the
    thirty FIDs (itself an estimate good to about 13 %), and the same features give the same value."""
    net = Evaluator.load("mnist").network()
    reference = gaussian_stats(embed(net, load_dataset("mnist", mnist_dir, "test").floats())[0])
    g = torch.Generator().manual_seed(0)
    train = load_dataset("mnist", mnist_dir, "train").floats()[torch.randperm(60_000, generator=g)]  # by writer
    noised = (train + 0.3 * torch.randn(train.shape, generator=g)).clamp(-1, 1)
    sets = embed(net, noised)[0].split(2000)
    spread = float(np.std([frechet_distance(*gaussian_stats(features), *reference) for features in sets], ddof=1))
    errors = [fid_standard_error(features, *reference) for features in sets[:3]]
    assert all(spread / 1.6 < error < spread * 1.6 for error in errors), (errors, spread)
    assert fid_standard_error(sets[0], *reference) == errors[0]
