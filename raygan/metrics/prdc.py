"""Precision, recall, density and coverage from k-nearest-neighbour balls in feature space.

Each real (or fake) feature vector gets a ball whose radius is the distance to its k-th
nearest neighbour in its own set; the balls together estimate the data manifold.

- precision (Kynkaanniemi et al. 2019): share of fakes inside some real ball (fidelity).
- recall: share of reals inside some fake ball (diversity).
- density (Naeem et al. 2020): real balls containing each fake, averaged and divided by
  k; about 1 when fakes are distributed like reals, robust to real outliers, can exceed 1.
- coverage (Naeem et al.): share of real balls containing at least one fake.

Distance matrices are built in row chunks, so memory stays at ``chunk x N`` however many
samples there are.  Comparisons use squared distances; a ball includes its boundary.
"""
from __future__ import annotations

import torch

NEAREST_K = 5


def _squared_distances(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return torch.cdist(x, y).square_()


def knn_radii(features: torch.Tensor, k: int = NEAREST_K, chunk: int = 2048) -> torch.Tensor:
    """Squared distance from each vector to its k-th nearest neighbour in the same set (not itself)."""
    if features.shape[0] <= k:
        raise ValueError(f"need more than k={k} feature vectors for k-NN radii, got {features.shape[0]}")
    radii = [
        # k + 1 smallest: the vector itself is at distance 0 and comes first.
        _squared_distances(features[i:i + chunk], features).topk(k + 1, dim=1, largest=False).values[:, -1]
        for i in range(0, features.shape[0], chunk)
    ]
    return torch.cat(radii)


def prdc(real: torch.Tensor, fake: torch.Tensor, k: int = NEAREST_K, real_radii: torch.Tensor | None = None,
         chunk: int = 2048) -> dict[str, float]:
    """Precision, recall, density and coverage of ``fake`` (M, D) against ``real`` (N, D).

    ``real_radii`` (from :func:`knn_radii`) may be passed in to reuse them across calls.
    """
    real_radii = knn_radii(real, k, chunk) if real_radii is None else real_radii
    fake_radii = knn_radii(fake, k, chunk)
    fake_in_real = torch.zeros(fake.shape[0], dtype=torch.bool, device=fake.device)
    real_in_fake = torch.zeros(real.shape[0], dtype=torch.bool, device=real.device)
    nearest_fake = torch.full((real.shape[0],), float("inf"), device=real.device)
    density_count = 0.0
    for i in range(0, fake.shape[0], chunk):
        dist = _squared_distances(fake[i:i + chunk], real)  # (chunk, N)
        inside_real = dist <= real_radii[None, :]
        fake_in_real[i:i + chunk] = inside_real.any(dim=1)
        density_count += inside_real.sum().item()
        real_in_fake |= (dist <= fake_radii[i:i + chunk, None]).any(dim=0)
        nearest_fake = torch.minimum(nearest_fake, dist.min(dim=0).values)
    return {
        "precision": fake_in_real.double().mean().item(),
        "recall": real_in_fake.double().mean().item(),
        "density": density_count / (k * fake.shape[0]),
        "coverage": (nearest_fake <= real_radii).double().mean().item(),
    }
