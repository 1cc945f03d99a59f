"""The evaluator: a small CNN whose features and softmax define raygan's metrics.

Inception-v3 cannot be downloaded offline and its ImageNet features are the wrong ones
for 28x28 digits and clothes, so raygan trains its own network per dataset
(``python -m raygan.metrics.train_evaluator``).  Its penultimate activations (128 numbers)
are the feature space for FID, KID and precision/recall; its softmax gives the class
predictions.  MNIST's and Fashion-MNIST's weights ship in ``raygan/metrics/weights/``; an
image folder's are trained once, on its training split, and cached under its data
fingerprint (``raygan.cache.cache_dir("evaluators")``): a classifier of its classes for a
labelled folder, a predictor of which of four rotations was applied for a flat one
(``ROTATIONS`` outputs, whose softmax says nothing about classes).  :class:`Evaluator` holds
one set of weights; :class:`~raygan.metrics.measurer.Measurer` measures with it.

All convolutions have stride 2 (28 -> 14 -> 7 -> 4, 32 -> 16 -> 8 -> 4, one more for 64)
instead of pooling: on CPU this is twice as fast for the same accuracy, so 10k samples
embed in about a second.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from safetensors import SafetensorError
from safetensors.torch import load
from torch import nn

from raygan.cache import cache_dir
from raygan.data.info import FOLDER, DatasetInfo, dataset_info
from raygan.errors import RayganError

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
FEATURE_DIM = 128
ROTATIONS = 4  # a flat folder's evaluator predicts which of 0, 90, 180, 270 degrees the image was turned


class EvaluatorNet(nn.Module):
    """Strided conv + batch-norm layers down to 4x4, a 128-unit feature layer and an output head."""

    def __init__(self, num_outputs: int = 10, channels: int = 1, size: int = 28):
        super().__init__()
        widths = [32, 64, 128] + ([128] if size > 32 else [])
        kernels = [5, 3, 3, 3]
        convs = [_conv(c_in, c_out, k) for c_in, c_out, k in zip([channels, *widths], widths, kernels)]
        self.features = nn.Sequential(*convs, nn.Flatten(), nn.Linear(128 * 4 * 4, FEATURE_DIM), nn.ReLU())
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(FEATURE_DIM, num_outputs)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Images (N, C, H, W) in [-1, 1] -> (features (N, 128), logits (N, outputs))."""
        features = self.features(images)
        return features, self.head(self.dropout(features))


def _conv(c_in: int, c_out: int, kernel: int) -> nn.Module:
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, stride=2, padding=kernel // 2, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU())


def num_outputs(info: DatasetInfo) -> int:
    """Classes for a labelled dataset; ``ROTATIONS`` for an unlabelled one."""
    return info.num_classes if info.labelled else ROTATIONS


def new_evaluator(info: DatasetInfo) -> EvaluatorNet:
    channels, size, _ = info.image_shape
    return EvaluatorNet(num_outputs(info), channels, size)


def weights_path(info: DatasetInfo) -> Path:
    """Where ``info``'s evaluator weights live: shipped for a known dataset, cached for an image folder."""
    if info.kind == FOLDER:
        return cache_dir("evaluators") / f"{info.fingerprint}.safetensors"
    return WEIGHTS_DIR / f"{info.name}.safetensors"


@dataclass(frozen=True, eq=False)
class Evaluator:
    """An evaluator's weights (safetensors bytes) for the data ``info`` describes.

    The bytes, not a file name, are what travels: a Ray trial gets the evaluator through the
    object store with the data (:mod:`raygan.tuning.trainable`), so a worker node needs no
    cache of its own.  :attr:`id` names the weights in every metric record.
    """

    info: DatasetInfo
    weights: bytes

    @classmethod
    def load(cls, dataset) -> "Evaluator":
        """The stored evaluator of ``dataset`` (a known name or a :class:`DatasetInfo`); a one-line error
        saying how to make it when it is missing."""
        info = dataset_info(dataset)
        path = weights_path(info)
        try:
            return cls(info, path.read_bytes())
        except OSError:
            raise RayganError(f"evaluator weights {path} are missing; {_how_to_retrain(info)}") from None

    @property
    def id(self) -> str:
        """``name-<first 8 hex digits of the weights' SHA-256>``: which evaluator a metric was measured with.

        Metrics from different evaluator weights are not comparable; every metric record names it.
        """
        return f"{self.info.name}-{hashlib.sha256(self.weights).hexdigest()[:8]}"

    def network(self, device="cpu") -> EvaluatorNet:
        """A new evaluator network with these weights on ``device``, in eval mode, without gradients."""
        retrain = _how_to_retrain(self.info)
        where = weights_path(self.info)
        try:
            state = load(self.weights)
        except (SafetensorError, OSError) as err:
            raise RayganError(f"evaluator weights {where} are unreadable ({err}); {retrain}") from None
        net = new_evaluator(self.info)
        try:
            net.load_state_dict(state, strict=True)
        except RuntimeError:
            raise RayganError(f"evaluator weights {where} do not fit the evaluator network; {retrain}") from None
        return net.to(device).eval().requires_grad_(False)


def _how_to_retrain(info: DatasetInfo) -> str:
    if info.kind == FOLDER:
        return "train it with python -m raygan.metrics.train_evaluator --data-dir FOLDER"
    return f"retrain it with python -m raygan.metrics.train_evaluator --dataset {info.name} --data-dir DIR"


def sanitize(images: torch.Tensor) -> torch.Tensor:
    """Make any generator output a valid image: NaN -> 0 (grey), +-inf -> +-1, clamp to [-1, 1].

    A diverged generator thus scores as a (very bad) flat image instead of poisoning
    every metric with NaN.
    """
    return torch.nan_to_num(images.float(), nan=0.0, posinf=1.0, neginf=-1.0).clamp_(-1.0, 1.0)


@torch.no_grad()
def embed(net: EvaluatorNet, images: torch.Tensor, batch_size: int = 1000,
          on_batch: Callable[[int], object] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Features (N, 128) and class probabilities (N, classes) of ``images``, in batches on their device
    (``on_batch`` is called with each batch's size once it is done)."""
    features, probs = [], []
    for start in range(0, images.shape[0], batch_size):
        feats, logits = net(sanitize(images[start:start + batch_size]))
        features.append(feats)
        probs.append(logits.softmax(dim=1))
        if on_batch is not None:
            on_batch(len(feats))
    if not features:
        return images.new_zeros(0, FEATURE_DIM), images.new_zeros(0, net.head.out_features)
    return torch.cat(features), torch.cat(probs)


def recorded_accuracy(info: DatasetInfo | None = None) -> dict:
    """What is recorded about evaluators: without ``info``, ``weights/accuracy.json`` (test accuracy,
    epochs, seed, command per shipped dataset); for an image folder's info, its cached record."""
    folder = info is not None and info.kind == FOLDER
    path = weights_path(info).with_suffix(".json") if folder else WEIGHTS_DIR / "accuracy.json"
    return json.loads(path.read_text()) if path.is_file() else {}
