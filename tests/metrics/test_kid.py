"""KID: the unbiased cubic-kernel MMD^2 against its definition, and its unbiasedness."""
import pytest
import torch

from raygan.metrics.kid import kid, mmd2_unbiased


def definition(x, y):
    """MMD^2_u of Binkowski et al. written out term by term with Python loops."""
    m, d = len(x), len(x[0])

    def k(a, b):
        return (sum(p * q for p, q in zip(a, b)) / d + 1) ** 3

    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    return xx + yy - 2 * xy


def test_matches_the_definition():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(30, 5, generator=g, dtype=torch.float64)
    y = 0.5 + 1.5 * torch.randn(30, 5, generator=g, dtype=torch.float64)
    expected = definition(x.tolist(), y.tolist())
    assert mmd2_unbiased(x, y) == pytest.approx(expected, rel=1e-10)
    # With one subset as large as the sets, KID is that estimate (order does not matter).
    mean, std = kid(x, y, subset_size=1000, num_subsets=1)
    assert mean == pytest.approx(expected, rel=1e-10) and std == 0.0


def test_unbiased_near_zero_for_one_distribution_positive_for_two():
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(2, 3000, 16, generator=g)
    shifted = b + 0.3
    same_mean, same_std = kid(a, b, subset_size=500, num_subsets=40)
    diff_mean, diff_std = kid(a, shifted, subset_size=500, num_subsets=40)
    assert abs(same_mean) < 3 * same_std  # an unbiased estimate of 0
    assert diff_mean > 10 * diff_std > 0
    # The biased (V-statistic) estimate would be clearly positive for identical distributions.
    x, y = a[:500].double(), b[:500].double()
    biased = ((x @ x.T / 16 + 1) ** 3).mean() + ((y @ y.T / 16 + 1) ** 3).mean() - 2 * ((x @ y.T / 16 + 1) ** 3).mean()
    assert biased.item() > 10 * abs(same_mean)


def test_subset_size_is_capped_by_the_smaller_set_and_seeded():
    g = torch.Generator().manual_seed(2)
    a, b = torch.randn(200, 8, generator=g), torch.randn(50, 8, generator=g) + 1
    assert kid(a, b, seed=3) == kid(a, b, seed=3)
    assert kid(a, b, seed=3) != kid(a, b, seed=4)
    with pytest.raises(ValueError, match="at least 2"):
        kid(a, b[:1])
