"""What every generator and discriminator shares: label checks, sampling, the logit and spectral norm."""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from raygan.errors import RayganError


class Generator(nn.Module):
    """Maps latent vectors (and labels, when conditional) to (N, C, H, W) images in [-1, 1]."""

    def __init__(self, latent_dim: int, image_shape: tuple[int, int, int], num_classes: int, conditional: bool):
        super().__init__()
        self.latent_dim = latent_dim
        self.image_shape = tuple(image_shape)
        self.num_classes = num_classes
        self.conditional = conditional

    def check_labels(self, n: int, labels) -> torch.Tensor | None:
        """Validate ``labels`` for ``n`` samples; return them as a LongTensor (or None)."""
        if not self.conditional:
            if labels is not None:
                raise RayganError("this generator is unconditional; do not pass labels")
            return None
        if labels is None:
            raise RayganError(f"this generator is conditional; pass labels in 0..{self.num_classes - 1}")
        labels = torch.as_tensor(labels, dtype=torch.long).reshape(-1)
        if labels.numel() == 1 and n != 1:
            labels = labels.expand(n)
        if labels.numel() != n:
            raise RayganError(f"got {labels.numel()} labels for {n} samples; pass one label or one per sample")
        if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= self.num_classes):
            raise RayganError(f"labels must be in 0..{self.num_classes - 1}, got {labels.min()}..{labels.max()}")
        return labels

    @torch.no_grad()
    def sample(self, n: int, labels=None, generator: torch.Generator | None = None,
               batch_size: int = 4096, on_batch: Callable[[int], object] | None = None) -> torch.Tensor:
        """Draw ``n`` images in eval mode (batch-norm running statistics), on this module's device.

        ``labels`` is required for conditional models: one label for all, or one per sample.
        ``generator`` seeds the latent noise for reproducible samples: all of it is drawn
        first, then mapped ``batch_size`` at a time.  ``on_batch`` is called with each batch's
        size once it is drawn (a progress bar's update).
        """
        if n < 0:
            raise RayganError(f"number of samples must be >= 0, got {n}")
        labels = self.check_labels(n, labels)
        device = next(self.parameters()).device
        was_training = self.training
        self.eval()
        try:
            z = torch.randn(n, self.latent_dim, device=device, generator=generator)
            if labels is not None:
                labels = labels.to(device)
            chunks = []
            for i in range(0, n, batch_size):
                chunks.append(self(z[i:i + batch_size], None if labels is None else labels[i:i + batch_size]))
                if on_batch is not None:
                    on_batch(len(chunks[-1]))
        finally:
            self.train(was_training)
        return torch.cat(chunks) if chunks else torch.empty(0, *self.image_shape, device=device)


class Discriminator(nn.Module):
    """A discriminator's common end: its last features through a dense layer ``out`` to one logit, plus the
    projection of its label head (:class:`~raygan.models.conditioning.LabelHead`).  Subclasses build ``out``
    and ``head`` and define :meth:`features`."""

    out: nn.Linear
    head: nn.Module  # a conditioning.LabelHead

    def features(self, images: torch.Tensor, labels) -> torch.Tensor:
        raise NotImplementedError

    def judge(self, images: torch.Tensor, labels=None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(one logit per image, > 0 meaning real; the class logits of an ``ac`` head, else None)."""
        h = self.features(images, labels)
        return self.out(h.flatten(1)).squeeze(1) + self.head.projection(h, labels), self.head.classes(h)

    def forward(self, images: torch.Tensor, labels=None) -> torch.Tensor:
        return self.judge(images, labels)[0]


def spectral_norm_all(module: nn.Module) -> nn.Module:
    """Spectral norm (Miyato et al. 2018) on every convolution and dense layer of ``module``.

    Each weight is divided by its largest singular value (estimated by one power iteration
    per forward pass in training), which bounds D's Lipschitz constant without batch
    statistics.  Returns ``module``, changed in place.
    """
    for layer in list(module.modules()):
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            spectral_norm(layer)
    return module


def leaky() -> nn.Module:
    """The discriminator (and MLP generator) activation of the DCGAN paper: slope 0.2."""
    return nn.LeakyReLU(0.2, inplace=True)
