"""Training the evaluator network: one recipe for shipped datasets and for image folders.

One recipe for every dataset (seeded AdamW with a one-cycle schedule, batch 128, 4 epochs
and at least ``MIN_STEPS`` steps, so a small folder trains as long as MNIST does): a
classifier of the classes for labelled data, a predictor of which of four rotations was
applied for a flat folder (self-supervised: it needs no labels, and its features still
have to know what the images look like).  Accuracy is measured on the held-out test
split.  An image folder's evaluator goes to the evaluator cache under the data fingerprint;
:func:`ensure_evaluator` trains it when :func:`raygan.data.prepare.prepare` first needs it.
``python -m raygan.metrics.train_evaluator`` is the command line.  Every write is atomic.
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import torch
from torch import nn

from raygan.atomic import atomic_path
from raygan.data.images import ImageData, to_unit_range
from raygan.generator_file import save_weights
from raygan.metrics.evaluator import ROTATIONS, EvaluatorNet, embed, new_evaluator, weights_path
from raygan.metrics.modes import label_accuracy
from raygan.progress import bar, say

MIN_STEPS = 1800  # about 4 epochs of MNIST at batch 128: a small folder trains at least this long


def rotated(images: torch.Tensor, turns: torch.Tensor) -> torch.Tensor:
    """Each image turned by ``turns`` x 90 degrees (its rotation label)."""
    out = images.clone()
    for k in range(1, ROTATIONS):
        chosen = turns == k
        out[chosen] = torch.rot90(images[chosen], k, dims=(2, 3))
    return out


def task_batch(images: torch.Tensor, labels: torch.Tensor, labelled: bool, rng: torch.Generator):
    """What the evaluator learns from a batch: the classes, or (unlabelled) the rotations it applies."""
    if labelled:
        return images, labels
    turns = torch.randint(ROTATIONS, (len(images),), generator=rng).to(images.device)
    return rotated(images, turns), turns


def held_out_accuracy(net: EvaluatorNet, test_set: ImageData) -> float:
    """Class accuracy on the test split, or rotation accuracy over all four turns of every test image."""
    images = test_set.floats()
    if test_set.info.labelled:
        return label_accuracy(embed(net, images)[1], test_set.labels)
    return sum(label_accuracy(embed(net, torch.rot90(images, k, dims=(2, 3)))[1], torch.full_like(test_set.labels, k))
               for k in range(ROTATIONS)) / ROTATIONS


def train(train_set: ImageData, test_set: ImageData, epochs: int = 4, batch_size: int = 128, lr: float = 3e-3,
          seed: int = 0, steps: int | None = None, log=say) -> tuple[EvaluatorNet, float]:
    """Train an evaluator on ``train_set``; return it (eval mode) and its held-out accuracy on ``test_set``.

    ``steps`` overrides the recipe's length (``epochs``, at least ``MIN_STEPS``).  In a
    terminal a progress bar over the steps (rate, ETA) runs below the epoch lines.
    """
    torch.manual_seed(seed)
    order_rng = torch.Generator().manual_seed(seed)
    labelled = train_set.info.labelled
    net = new_evaluator(train_set.info)
    batch_size = min(batch_size, len(train_set))
    steps_per_epoch = len(train_set) // batch_size
    total = steps or max(epochs * steps_per_epoch, MIN_STEPS)
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=total)
    progress = bar(total, "step", f"{train_set.name} evaluator")
    done, epochs_run = 0, math.ceil(total / steps_per_epoch)
    for epoch in range(epochs_run):
        net.train()
        order = torch.randperm(len(train_set), generator=order_rng)
        started, loss_sum, epoch_steps = time.perf_counter(), 0.0, min(steps_per_epoch, total - done)
        for step in range(epoch_steps):
            index = order[step * batch_size:(step + 1) * batch_size]
            images, targets = task_batch(to_unit_range(train_set.images[index]), train_set.labels[index], labelled,
                                         order_rng)
            loss = nn.functional.cross_entropy(net(images)[1], targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            loss_sum += loss.item()
            progress.update()
        done += epoch_steps
        if epochs_run <= 20:  # a small folder runs hundreds of short epochs: the bar alone shows them
            log(f"epoch {epoch + 1}/{epochs_run}: train loss {loss_sum / epoch_steps:.4f} "
                f"({time.perf_counter() - started:.0f} s)")
    progress.close()
    net.eval()
    return net, held_out_accuracy(net, test_set)


def save(net: EvaluatorNet, dataset: str, out_dir: Path, record: dict) -> Path:
    """Write the weights and merge ``record`` into ``accuracy.json``, both atomically."""
    path = out_dir / f"{dataset}.safetensors"
    save_weights(path, net, {key: json.dumps(value) for key, value in record.items()})
    record_file = out_dir / "accuracy.json"
    records = json.loads(record_file.read_text()) if record_file.is_file() else {}
    records[dataset] = record
    with atomic_path(record_file) as tmp:
        tmp.write_text(json.dumps(records, indent=2, sort_keys=True) + "\n")
    return path


def ensure_evaluator(train_set: ImageData, test_set: ImageData, log=say, steps: int | None = None,
                     retrain: bool = False) -> Path:
    """The cached evaluator of an image folder's data, trained first (with a progress line) if missing."""
    path = weights_path(train_set.info)
    if path.is_file() and not retrain:
        return path
    info = train_set.info
    task = f"a classifier of its {info.num_classes} classes" if info.labelled else "a rotation predictor (no labels)"
    c, h, w = info.image_shape
    log(f"training the evaluator for {info.name} ({len(train_set):,} images, {h}x{w}x{c}): {task}; "
        f"cached in {path.parent} (once per dataset)")
    started = time.perf_counter()
    net, accuracy = train(train_set, test_set, steps=steps, log=log)
    record = {"held_out_accuracy": round(accuracy, 4), "task": "classes" if info.labelled else "rotation",
              "train_images": len(train_set), "test_images": len(test_set), "image_shape": list(info.image_shape),
              "class_names": list(info.class_names), "train_seconds": round(time.perf_counter() - started, 1),
              "steps": steps or "recipe", "torch": torch.__version__}
    path.parent.mkdir(parents=True, exist_ok=True)
    save_weights(path, net, {key: json.dumps(value) for key, value in record.items()})
    with atomic_path(path.with_suffix(".json")) as tmp:
        tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    log(f"evaluator for {info.name}: held-out {record['task']} accuracy {accuracy:.4f} "
        f"({record['train_seconds']:.0f} s)")
    return path
