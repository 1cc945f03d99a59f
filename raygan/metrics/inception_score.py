"""Inception score (Salimans et al. 2016) with the evaluator as the classifier.

    IS = exp( E_x KL(p(y|x) || p(y)) ),   p(y) = E_x p(y|x)

High when each sample is classified confidently (sharp p(y|x)) and the classes are used
evenly (flat p(y)); it ranges from 1 to the number of classes (10).  Computed over the
whole sample set at once, not averaged over splits, and in float64.
"""
from __future__ import annotations

import torch


def inception_score(probs: torch.Tensor) -> float:
    """IS of class probabilities ``probs`` (N, C), rows summing to 1."""
    p = probs.double()
    marginal = p.mean(dim=0, keepdim=True)
    # xlogy gives 0 * log 0 = 0; a class with p(y|x) > 0 always has p(y) > 0.
    kl = (torch.special.xlogy(p, p) - torch.special.xlogy(p, marginal)).sum(dim=1)
    return torch.exp(kl.mean()).item()
