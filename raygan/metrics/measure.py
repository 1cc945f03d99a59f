"""Measuring samples and generators: the checks on what comes in, and the metric record that goes out.

Every result is a *metric record*: the requested metrics plus ``num_samples`` (how many
samples they were measured on) and ``evaluator`` (which evaluator weights, see
:func:`~raygan.metrics.evaluator.evaluator_id`), so that two values are only compared
when both match, the way stylegan2-ada names ``fid50k_full``.
"""
from __future__ import annotations

from typing import Sequence

import torch

from raygan.budget import FINAL_NUM, MIN_SAMPLES
from raygan.data import dataset_info
from raygan.errors import RayganError
from raygan.metrics.evaluator import embed, evaluator_id, load_evaluator
from raygan.metrics.registry import METRICS, NEEDS_CLASSES, NEEDS_LABELS, Samples
from raygan.progress import counting, steps

RECORD_KEYS = ("num_samples", "evaluator")  # what a metric record adds to the metric values


def evaluate(samples: torch.Tensor, dataset="mnist", data_dir=None, labels: torch.Tensor | None = None,
             metrics: Sequence[str] | None = None, batch_size: int = 1000, progress: bool = False) -> dict:
    """The metric record of ``samples`` (N, C, H, W) in [-1, 1], run in batches on the samples' device.

    ``dataset`` is a known dataset's name or a :class:`~raygan.data.DatasetInfo` (an image
    folder's: ``ImageData.info``).  ``labels`` (N,) are the classes a conditional generator
    was asked for (enables ``label_acc``).  ``metrics`` defaults to every metric that
    applies (no class metrics for an unlabelled folder).  ``data_dir`` (a folder, or the
    test split as :class:`~raygan.data.ImageData`) is needed by the metrics that compare
    with real data (fid, kid, precision, ...).  ``progress``: in a terminal, a bar over the
    embedded samples, then one over the metrics naming the one under way (the first that
    compares with real data also embeds the test split, once per process).
    """
    info = dataset_info(dataset)
    labels = None if labels is None else torch.as_tensor(labels)
    names = check_metrics(metrics, labels is not None, info.labelled)
    _check_samples(samples, labels, info)
    with counting(len(samples), "img", "embedding", progress) as done:
        features, probs = embed(load_evaluator(info, str(samples.device)), samples, batch_size, on_batch=done)
    context = Samples(features, probs, None if labels is None else labels.to(samples.device), info, data_dir)
    return {**{name: METRICS[name](context) for name in steps(names, "metrics", progress)},
            "num_samples": int(samples.shape[0]), "evaluator": evaluator_id(info)}


def evaluate_generator(generator, dataset, data_dir, num: int = FINAL_NUM,
                       metrics: Sequence[str] | None = None, batch_size: int = 1000, seed: int = 0,
                       progress: bool = False) -> dict:
    """Draw ``num`` seeded samples from ``generator`` (balanced labels if conditional) and evaluate them.

    ``progress``: in a terminal, a bar over the samples drawn (through ``sample``'s ``on_batch``
    of a raygan generator; without it, any module with ``sample(n, labels, generator)`` will
    do), then :func:`evaluate`'s.
    """
    device = next(generator.parameters()).device
    labels = torch.arange(num, device=device) % generator.num_classes if generator.conditional else None
    with counting(num, "img", "sampling", progress) as done:
        samples = generator.sample(num, labels=labels, generator=torch.Generator(device=device).manual_seed(seed),
                                   **({"on_batch": done} if progress else {}))
    return evaluate(samples, dataset, data_dir, labels=labels, metrics=metrics, batch_size=batch_size,
                    progress=progress)


def evaluate_final(generator, raw_generator, dataset, data_dir, num: int = FINAL_NUM,
                   progress: bool = False) -> dict:
    """Every metric of the generator a run exports, plus ``fid_raw`` when that generator is the weight
    average of ``raw_generator`` (G itself): the record then shows what the average buys."""
    record = evaluate_generator(generator, dataset, data_dir, num=num, progress=progress)
    if raw_generator is not None:
        record["fid_raw"] = evaluate_generator(raw_generator, dataset, data_dir, num=num, metrics=("fid",),
                                               progress=progress)["fid"]
    return record


def check_metrics(metrics, have_labels: bool, have_classes: bool = True) -> list[str]:
    """The metric names to compute: ``metrics`` checked against the registry, or all that apply.

    Without classes (an unlabelled image folder, whose evaluator predicts rotations) the
    class metrics have no meaning and are left out.
    """
    if metrics is None:
        return [name for name in METRICS if (have_labels or name not in NEEDS_LABELS)
                and (have_classes or name not in NEEDS_CLASSES)]
    names = list(metrics)
    for name in names:
        if name not in METRICS:
            raise RayganError(f"unknown metric '{name}'; choose from {', '.join(METRICS)}")
        if name in NEEDS_LABELS and not have_labels:
            raise RayganError(f"metric '{name}' needs the labels the samples were generated for "
                              "(a conditional generator)")
        if name in NEEDS_CLASSES and not have_classes:
            raise RayganError(f"metric '{name}' needs a dataset with classes; an unlabelled image folder has "
                              f"none (choose from {', '.join(n for n in METRICS if n not in NEEDS_CLASSES)})")
    return names


def _check_samples(samples, labels, info) -> None:
    dataset = info.name
    shape = ", ".join(map(str, info.image_shape))
    if not isinstance(samples, torch.Tensor) or not samples.is_floating_point() \
            or tuple(samples.shape[1:]) != info.image_shape:
        got = tuple(samples.shape) if isinstance(samples, torch.Tensor) else type(samples).__name__
        raise RayganError(f"samples must be a float tensor (N, {shape}) in [-1, 1] for {dataset}, got {got}")
    if samples.shape[0] < MIN_SAMPLES:
        raise RayganError(f"need at least {MIN_SAMPLES} samples to evaluate, got {samples.shape[0]}")
    if labels is not None and (labels.shape != samples.shape[:1] or labels.is_floating_point()
                               or int(labels.min()) < 0 or int(labels.max()) >= info.num_classes):
        raise RayganError(f"labels must be N={samples.shape[0]} integers in 0..{info.num_classes - 1}")
