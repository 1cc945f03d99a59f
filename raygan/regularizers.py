"""Regularisers of the discriminator for small data: the R1 gradient penalty and LeCam.

- **R1** (Mescheder et al. 2018; stylegan2's ``--gamma``): ``gamma / 2`` times the mean squared
  norm of D's gradient with respect to its real inputs, which keeps D smooth around the data.
  It is lazy, as in stylegan2: computed every ``every`` steps and weighted by ``every``.
  :func:`suggested_r1_gamma` is stylegan2-ada's heuristic, ``0.0002 * H * W / batch``.
- **LeCam** (Tseng et al. 2021): pulls D's outputs on real images toward the running mean of
  its outputs on fakes and back, which bounds how far D can drift on a few images.  The running
  means (decay 0.99) belong to the run: they are checkpointed.
"""
from __future__ import annotations

import torch
from torch.nn import functional as F

LECAM_DECAY = 0.99


def suggested_r1_gamma(height: int, width: int, batch_size: int) -> float:
    """stylegan2-ada's R1 weight for an image size and batch."""
    return 0.0002 * height * width / batch_size


def r1_penalty(real_logits: torch.Tensor, real_inputs: torch.Tensor) -> torch.Tensor:
    """The mean over the batch of ``|| d logit / d input ||^2``; ``real_inputs`` must require grad and
    ``real_logits`` come from them (the graph is kept so the penalty trains D)."""
    (gradient,) = torch.autograd.grad(real_logits.sum(), real_inputs, create_graph=True)
    return gradient.square().flatten(1).sum(dim=1).mean()


class LeCam:
    """LeCam's term and the running means of D's outputs it needs."""

    def __init__(self, device):
        self.means = torch.zeros(2, device=device)  # D's mean output on real, on fake images
        self.seen = False

    def penalty(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        """``mean(relu(D(real) - mean_fake)^2) + mean(relu(mean_real - D(fake))^2)``, then the means updated
        with this batch's outputs (the first batch sets them)."""
        mean_real, mean_fake = self.means[0], self.means[1]
        term = F.relu(real_logits - mean_fake).square().mean() + F.relu(mean_real - fake_logits).square().mean()
        batch = torch.stack([real_logits.detach().mean(), fake_logits.detach().mean()])
        self.means = batch if not self.seen else LECAM_DECAY * self.means + (1 - LECAM_DECAY) * batch
        self.seen = True
        return term

    def state_dict(self) -> dict:
        return {"means": self.means, "seen": self.seen}

    def load_state_dict(self, state: dict) -> None:
        self.means = state["means"].to(self.means.device).clone()
        self.seen = bool(state["seen"])
