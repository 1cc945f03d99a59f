"""Sample-quality metrics for 28x28 generators, computed with raygan's own evaluator network.

``evaluate(samples, dataset, data_dir)`` embeds the samples with the dataset's shipped
evaluator (see :mod:`raygan.metrics.evaluator`) and computes the requested metrics from
the registry :data:`METRICS` (name -> function of :class:`Samples`).  Reference features
(the evaluator's view of the dataset's held-out test split) and the evaluator itself are
cached per (dataset, data_dir, device) in the process, so per-report calls during training
only pay for embedding the samples.  Non-finite pixels are sanitised first
(:func:`~raygan.metrics.evaluator.sanitize`), so every metric is always finite.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from raygan.data import IMAGE_SHAPE, NUM_CLASSES, ImageData, load_dataset
from raygan.errors import RayganError
from raygan.metrics import inception_score, kid, modes, prdc
from raygan.metrics.evaluator import embed, load_evaluator
from raygan.metrics.fid import frechet_distance, gaussian_stats

QUICK_METRICS = ("fid", "classes_covered", "class_kl", "diversity")  # cheap enough for every training report
MIN_SAMPLES = 10
DIVERSITY_MAX_N = 1000  # points per set for diversity: 1000x1000 distances, a few ms


@dataclass
class Reference:
    """Evaluator features of a dataset's test split and the statistics metrics reuse."""

    features: torch.Tensor
    _nn_distances: dict[int, float] = field(default_factory=dict, init=False, repr=False)

    @cached_property
    def stats(self) -> tuple[np.ndarray, np.ndarray]:
        return gaussian_stats(self.features)

    @cached_property
    def radii(self) -> torch.Tensor:
        return prdc.knn_radii(self.features)

    def median_nn_distance(self, n: int) -> float:
        """:func:`modes.median_nn_distance` of the first ``n`` features, computed once per n."""
        if n not in self._nn_distances:
            self._nn_distances[n] = modes.median_nn_distance(self.features[:n])
        return self._nn_distances[n]


def _embed_reference(dataset: str, test: ImageData, device: str) -> Reference:
    return Reference(embed(load_evaluator(dataset, device), test.to(device).floats())[0])


@lru_cache(maxsize=None)
def _reference(dataset: str, data_dir: str, device: str) -> Reference:
    return _embed_reference(dataset, load_dataset(dataset, data_dir, "test"), device)


_IN_MEMORY: dict[tuple[int, str], tuple[ImageData, Reference]] = {}


def reference(dataset: str, data_dir, device="cpu") -> Reference:
    """The cached :class:`Reference` of ``dataset``'s test split, on ``device``.

    ``data_dir`` is the folder holding the dataset's files, or the test split itself as
    :class:`~raygan.data.ImageData` (how Ray trials get it: from the object store, with no
    files on the worker).
    """
    if isinstance(data_dir, ImageData):
        key = (id(data_dir), str(torch.device(device)))
        if key not in _IN_MEMORY:  # the entry keeps the data alive, so its id is never reused
            _IN_MEMORY[key] = (data_dir, _embed_reference(dataset, data_dir, key[1]))
        return _IN_MEMORY[key][1]
    if data_dir is None:
        raise RayganError(f"metrics against real {dataset} data need its data directory; pass data_dir / --data-dir")
    return _reference(dataset, str(Path(data_dir).expanduser().resolve()), str(torch.device(device)))


@dataclass
class Samples:
    """What metric functions see: evaluator outputs for the samples, and how to reach the reference."""

    features: torch.Tensor  # (N, 128)
    probs: torch.Tensor  # (N, 10)
    labels: torch.Tensor | None
    dataset: str
    data_dir: object
    memo: dict = field(default_factory=dict)  # results shared between metrics (precision/recall/...)

    @property
    def reference(self) -> Reference:
        return reference(self.dataset, self.data_dir, self.features.device)

    def stats(self) -> tuple[np.ndarray, np.ndarray]:
        if "stats" not in self.memo:
            self.memo["stats"] = gaussian_stats(self.features)
        return self.memo["stats"]

    def prdc_values(self) -> dict:
        if "prdc" not in self.memo:
            ref = self.reference
            self.memo["prdc"] = prdc.prdc(ref.features, self.features, real_radii=ref.radii)
        return self.memo["prdc"]


def _fid(s: Samples) -> float:
    return frechet_distance(*s.stats(), *s.reference.stats)


def _diversity(s: Samples) -> float:
    """Samples' median nearest-neighbour distance over the test split's, at equal n (<= 1000).

    About 1 for real data; near 0 when the generator repeats itself, even across many
    classes.  Equal n because nearest-neighbour distances shrink as n grows.
    """
    n = min(len(s.features), len(s.reference.features), DIVERSITY_MAX_N)
    return modes.median_nn_distance(s.features[:n]) / max(s.reference.median_nn_distance(n), 1e-12)


def _prdc_entry(name: str) -> Callable[[Samples], float]:
    return lambda s: s.prdc_values()[name]


METRICS: dict[str, Callable[[Samples], float]] = {
    "fid": _fid,
    "kid": lambda s: kid.kid(s.features, s.reference.features)[0],
    "inception_score": lambda s: inception_score.inception_score(s.probs),
    "precision": _prdc_entry("precision"),
    "recall": _prdc_entry("recall"),
    "density": _prdc_entry("density"),
    "coverage": _prdc_entry("coverage"),
    "classes_covered": lambda s: modes.classes_covered(s.probs),
    "class_kl": lambda s: modes.class_kl(s.probs),
    "diversity": _diversity,
    "label_acc": lambda s: modes.label_accuracy(s.probs, s.labels),
}
NEEDS_LABELS = ("label_acc",)


def quick_metrics(conditional: bool) -> tuple[str, ...]:
    """The cheap per-report subset; with ``label_acc`` for conditional generators."""
    return QUICK_METRICS + (NEEDS_LABELS if conditional else ())


def evaluate(samples: torch.Tensor, dataset: str = "mnist", data_dir=None, labels: torch.Tensor | None = None,
             metrics: Sequence[str] | None = None, batch_size: int = 1000) -> dict:
    """Metrics of ``samples`` (N, 1, 28, 28) in [-1, 1], run in batches on the samples' device.

    ``labels`` (N,) are the classes a conditional generator was asked for (enables
    ``label_acc``).  ``metrics`` defaults to every metric that applies.  ``data_dir`` is
    needed by the metrics that compare with real data (fid, kid, precision, ...).
    """
    labels = None if labels is None else torch.as_tensor(labels)
    names = _check_metrics(metrics, labels is not None)
    _check_samples(samples, labels)
    features, probs = embed(load_evaluator(dataset, str(samples.device)), samples, batch_size)
    context = Samples(features, probs, None if labels is None else labels.to(samples.device), dataset, data_dir)
    return {name: METRICS[name](context) for name in names}


def evaluate_generator(generator, dataset: str, data_dir, num: int = 10000, metrics: Sequence[str] | None = None,
                       batch_size: int = 1000, seed: int = 0) -> dict:
    """Draw ``num`` seeded samples from ``generator`` (balanced labels 0..9 if conditional) and evaluate them."""
    device = next(generator.parameters()).device
    labels = torch.arange(num, device=device) % generator.num_classes if generator.conditional else None
    samples = generator.sample(num, labels=labels, generator=torch.Generator(device=device).manual_seed(seed))
    return evaluate(samples, dataset, data_dir, labels=labels, metrics=metrics, batch_size=batch_size)


def _check_metrics(metrics, have_labels: bool) -> list[str]:
    if metrics is None:
        return [name for name in METRICS if have_labels or name not in NEEDS_LABELS]
    names = list(metrics)
    for name in names:
        if name not in METRICS:
            raise RayganError(f"unknown metric '{name}'; choose from {', '.join(METRICS)}")
        if name in NEEDS_LABELS and not have_labels:
            raise RayganError(f"metric '{name}' needs the labels the samples were generated for "
                              "(a conditional generator)")
    return names


def _check_samples(samples, labels) -> None:
    if not isinstance(samples, torch.Tensor) or not samples.is_floating_point() \
            or tuple(samples.shape[1:]) != IMAGE_SHAPE:
        shape = tuple(samples.shape) if isinstance(samples, torch.Tensor) else type(samples).__name__
        raise RayganError(f"samples must be a float tensor (N, 1, 28, 28) in [-1, 1], got {shape}")
    if samples.shape[0] < MIN_SAMPLES:
        raise RayganError(f"need at least {MIN_SAMPLES} samples to evaluate, got {samples.shape[0]}")
    if labels is not None and (labels.shape != samples.shape[:1] or labels.is_floating_point()
                               or int(labels.min()) < 0 or int(labels.max()) >= NUM_CLASSES):
        raise RayganError(f"labels must be N={samples.shape[0]} integers in 0..{NUM_CLASSES - 1}")


__all__ = ["METRICS", "QUICK_METRICS", "Reference", "Samples", "evaluate", "evaluate_generator", "quick_metrics",
           "reference"]
