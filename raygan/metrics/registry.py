"""The metric registry: metric name -> function of :class:`Samples`, one file per metric behind it.

:class:`Samples` is what a metric function sees: the evaluator's features and class
probabilities of the generated images, the labels they were generated for, and a way to
reach the real data's :class:`~raygan.metrics.references.Reference` (the measurer's).  Results that several
metrics share (Gaussian statistics, PRDC, KID's subsets) are computed once per
:class:`Samples` and memoised.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from raygan.metrics import inception_score, intra_fid, kid, modes, prdc
from raygan.metrics.fid import fid_standard_error, frechet_distance, gaussian_stats
from raygan.metrics.references import Reference

QUICK_METRICS = ("fid", "fid_se", "classes_covered", "class_kl", "diversity")  # cheap enough for every training report
# ... and for conditional generators.  intra_fid's ten FIDs on ~200 samples each add 0.02 to 0.09 s to a quick
# report on 2,000 MNIST samples (one or two BLAS threads, 2 AMD EPYC cores, 2026-12): under 1 % of the ~10 s
# a 16-kimg report interval trains there.  Where a class has too few samples for it, it is left out.
QUICK_CONDITIONAL = ("label_acc", "label_acc_worst", "intra_fid")
PER_CLASS = ("label_acc_worst", "intra_fid")  # measured class by class: their record names samples_per_class
NEEDS_LABELS = ("label_acc", *PER_CLASS)
NEEDS_CLASSES = ("inception_score", "classes_covered", "class_kl", *NEEDS_LABELS)  # meaningless without classes
# The per-report metrics a search can rank trials by or constrain (not fid_se, which says how far fid can be trusted),
# and the values each can take (low, high; None: unbounded), where a search's constraint must leave room.
LIMITS = {"fid": (0.0, None), "classes_covered": (0.0, None), "class_kl": (0.0, None), "diversity": (0.0, None),
          "label_acc": (0.0, 1.0), "label_acc_worst": (0.0, 1.0), "intra_fid": (0.0, None)}
DIVERSITY_MAX_N = 1000  # points per set for diversity: 1000x1000 distances, a few ms


@dataclass
class Samples:
    """Evaluator outputs for the samples, and how to reach the reference."""

    features: torch.Tensor  # (N, 128)
    probs: torch.Tensor  # (N, classes)
    labels: torch.Tensor | None
    real: Callable[[], Reference]  # the test split's reference, built on first use (only metrics that compare need it)
    memo: dict = field(default_factory=dict)

    @property
    def reference(self) -> Reference:
        return self.once("reference", self.real)

    def once(self, key: str, compute: Callable[[], object]):
        """``compute()``, evaluated at most once per Samples (results metrics share)."""
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

    def stats(self) -> tuple[np.ndarray, np.ndarray]:
        return self.once("stats", lambda: gaussian_stats(self.features))

    def prdc_values(self) -> dict:
        return self.once("prdc", lambda: prdc.prdc(self.reference.features, self.features,
                                                  real_radii=self.reference.radii))

    def kid_mean_std(self) -> tuple[float, float]:
        return self.once("kid", lambda: kid.kid(self.features, self.reference.features))


def _fid(s: Samples) -> float:
    return frechet_distance(*s.stats(), *s.reference.stats)


def _fid_se(s: Samples) -> float:
    return fid_standard_error(s.features, *s.reference.stats)


def _diversity(s: Samples) -> float:
    """Samples' median nearest-neighbour distance over the test split's, at equal n (<= 1000).

    About 1 for real data; near 0 when the generator repeats itself, even across many
    classes.  Equal n because nearest-neighbour distances shrink as n grows.
    """
    n = min(len(s.features), len(s.reference.features), DIVERSITY_MAX_N)
    return modes.median_nn_distance(s.features[:n]) / max(s.reference.median_nn_distance(n), 1e-12)


def _intra_fid(s: Samples) -> float:
    return intra_fid.intra_fid(s.features, s.labels, s.reference.class_stats)


def _prdc_entry(name: str) -> Callable[[Samples], float]:
    return lambda s: s.prdc_values()[name]


METRICS: dict[str, Callable[[Samples], float]] = {
    "fid": _fid,
    "fid_se": _fid_se,
    "kid": lambda s: s.kid_mean_std()[0],
    "kid_std": lambda s: s.kid_mean_std()[1],  # spread of KID over its random subsets
    "inception_score": lambda s: inception_score.inception_score(s.probs),
    "precision": _prdc_entry("precision"),
    "recall": _prdc_entry("recall"),
    "density": _prdc_entry("density"),
    "coverage": _prdc_entry("coverage"),
    "classes_covered": lambda s: modes.classes_covered(s.probs),
    "class_kl": lambda s: modes.class_kl(s.probs),
    "diversity": _diversity,
    "label_acc": lambda s: modes.label_accuracy(s.probs, s.labels),
    "label_acc_worst": lambda s: min(modes.per_class_accuracy(s.probs, s.labels).values()),
    "intra_fid": _intra_fid,
}
DESCRIPTIONS = {
    "fid": "Frechet distance of evaluator features (lower is better)",
    "fid_se": "fid's standard error on these samples (from the fid of random halves of them)",
    "kid": "kernel distance of evaluator features, unbiased (lower is better)",
    "kid_std": "KID's standard deviation over its random subsets",
    "inception_score": "confidence and spread of the evaluator's class predictions (1 to #classes)",
    "precision": "share of samples inside the real data's k-NN manifold (fidelity)",
    "recall": "share of real images inside the samples' k-NN manifold (diversity)",
    "density": "real k-NN balls per sample, over k (fidelity, robust to outliers)",
    "coverage": "share of real k-NN balls holding a sample (diversity)",
    "classes_covered": "classes predicted for at least 1/10 of their uniform share",
    "class_kl": "KL of the predicted-class histogram from uniform (0: balanced)",
    "diversity": "samples' nearest-neighbour spread over the real data's (about 1 for real)",
    "label_acc": "conditional models: share of samples classified as the label asked for",
    "label_acc_worst": "conditional models: label_acc of the class where it is lowest",
    "intra_fid": "conditional models: FID of each class's samples against its test images, averaged (lower is better)",
}


def quick_metrics(conditional: bool, classes: bool = True) -> tuple[str, ...]:
    """The cheap per-report subset; with ``label_acc``, ``label_acc_worst`` and ``intra_fid`` for conditional
    generators, without the class metrics for data without classes."""
    names = QUICK_METRICS + (QUICK_CONDITIONAL if conditional else ())
    return names if classes else tuple(n for n in names if n not in NEEDS_CLASSES)


def searchable_metrics(conditional: bool, classes: bool = True) -> tuple[str, ...]:
    """The per-report metrics a search can rank by or constrain: :func:`quick_metrics` but ``fid_se``."""
    return tuple(name for name in quick_metrics(conditional, classes) if name in LIMITS)


def describe_metrics() -> str:
    """One line per metric, for ``--help``."""
    return "\n".join(f"  {name}: {DESCRIPTIONS[name]}" for name in METRICS)
