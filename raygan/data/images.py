"""A split held on the training device: uint8 images, labels, and batches drawn there by index.

The whole split is stored once as a uint8 tensor on the training device (60k x 784 bytes
is 47 MB) and batches are drawn there by index, so the training loop never copies from
host to device and never runs a DataLoader.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from raygan.data.info import DatasetInfo


@dataclass
class ImageData:
    """One split resident on a device: uint8 images (N, C, H, W), int64 labels (N,) and what they are."""

    info: DatasetInfo
    images: torch.Tensor
    labels: torch.Tensor

    @property
    def name(self) -> str:
        return self.info.name

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def device(self) -> torch.device:
        return self.images.device

    def to(self, device) -> "ImageData":
        return ImageData(self.info, self.images.to(device), self.labels.to(device))

    def batch(self, size: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw ``size`` random examples (with replacement) as floats in [-1, 1], on-device."""
        index = torch.randint(len(self), (size,), device=self.device, generator=generator)
        return to_unit_range(self.images[index]), self.labels[index]

    def floats(self, start: int = 0, stop: int | None = None) -> torch.Tensor:
        """Images ``start:stop`` as floats in [-1, 1]."""
        return to_unit_range(self.images[start:stop])


def to_unit_range(images_uint8: torch.Tensor) -> torch.Tensor:
    """Map uint8 pixels 0..255 to floats in [-1, 1], the range of a tanh generator."""
    return images_uint8.float().div_(127.5).sub_(1.0)
