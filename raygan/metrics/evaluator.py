"""The evaluator: a small CNN classifier whose features and softmax define raygan's metrics.

Inception-v3 cannot be downloaded offline and its ImageNet features are the wrong ones
for 28x28 digits and clothes, so raygan trains its own classifier per dataset
(``python -m raygan.metrics.train_evaluator``) and ships the weights in
``raygan/metrics/weights/``.  Its penultimate activations (128 numbers) are the feature
space for FID, KID and precision/recall; its softmax gives the class predictions.

All convolutions have stride 2 (28 -> 14 -> 7 -> 4) instead of pooling: on CPU this is
twice as fast for the same accuracy, so 10k samples embed in about a second.
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Callable

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn

from raygan.data import dataset_info
from raygan.errors import RayganError

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
FEATURE_DIM = 128


class EvaluatorNet(nn.Module):
    """Three strided conv + batch-norm layers, a 128-unit feature layer and a class head."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            _conv(1, 32, 5), _conv(32, 64, 3), _conv(64, 128, 3), nn.Flatten(),
            nn.Linear(128 * 4 * 4, FEATURE_DIM), nn.ReLU(),
        )
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(FEATURE_DIM, num_classes)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Images (N, 1, 28, 28) in [-1, 1] -> (features (N, 128), logits (N, classes))."""
        features = self.features(images)
        return features, self.head(self.dropout(features))


def _conv(c_in: int, c_out: int, kernel: int) -> nn.Module:
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, stride=2, padding=kernel // 2, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU())


def weights_path(dataset: str) -> Path:
    return WEIGHTS_DIR / f"{dataset_info(dataset).name}.safetensors"


@lru_cache(maxsize=None)
def load_evaluator(dataset: str, device: str = "cpu") -> EvaluatorNet:
    """The shipped evaluator for ``dataset`` on ``device``, in eval mode (cached per process)."""
    path = weights_path(dataset)
    retrain = _how_to_retrain(dataset)
    try:
        state = load_file(str(path), device=str(device))
    except FileNotFoundError:
        raise RayganError(f"evaluator weights {path} are missing; {retrain}") from None
    except (SafetensorError, OSError) as err:
        raise RayganError(f"evaluator weights {path} are unreadable ({err}); {retrain}") from None
    net = EvaluatorNet(dataset_info(dataset).num_classes)
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError:
        raise RayganError(f"evaluator weights {path} do not fit the evaluator network; {retrain}") from None
    return net.to(device).eval().requires_grad_(False)


@lru_cache(maxsize=None)
def evaluator_id(dataset: str) -> str:
    """``dataset-<first 8 hex digits of the weights' SHA-256>``: which evaluator a metric was measured with.

    Metrics from different evaluator weights are not comparable; every metric record names it.
    """
    path = weights_path(dataset)
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
    except OSError:
        raise RayganError(f"evaluator weights {path} are missing; {_how_to_retrain(dataset)}") from None
    return f"{dataset}-{digest}"


def _how_to_retrain(dataset: str) -> str:
    return f"retrain it with python -m raygan.metrics.train_evaluator --dataset {dataset} --data-dir DIR"


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


def recorded_accuracy() -> dict:
    """What ``weights/accuracy.json`` records per dataset: test accuracy, epochs, seed, command."""
    path = WEIGHTS_DIR / "accuracy.json"
    return json.loads(path.read_text()) if path.is_file() else {}
