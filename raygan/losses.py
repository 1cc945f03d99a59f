"""The non-saturating GAN objective and the discriminator's confusion counts, on logits.

Pure tensor functions, so they are tested on hand-computed values without any model.
A logit > 0 means "real".
"""
import torch
from torch.nn import functional as F


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor,
                       label_smoothing: float = 0.0) -> torch.Tensor:
    """-log D(x) - log(1 - D(G(z))), with one-sided smoothing: real targets are 1 - s."""
    real_target = torch.full_like(real_logits, 1.0 - label_smoothing)
    return (F.binary_cross_entropy_with_logits(real_logits, real_target)
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss -log D(G(z)) = softplus(-logit), averaged."""
    return F.softplus(-fake_logits).mean()


def confusion_counts(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Counts ``[tp, fn, tn, fp]``: real judged real, real judged fake, fake judged fake, fake judged real.

    Returned as a float tensor on the logits' device so that it can be summed over many
    steps without a host synchronisation.
    """
    real_says_real = (real_logits > 0).sum()
    fake_says_real = (fake_logits > 0).sum()
    return torch.stack([
        real_says_real, real_logits.numel() - real_says_real,
        fake_logits.numel() - fake_says_real, fake_says_real,
    ]).float()


def accuracies(tp: float, fn: float, tn: float, fp: float) -> dict:
    """Discriminator accuracy overall, on real images and on generated images (0 when empty)."""
    def ratio(num, den):
        return num / den if den else 0.0
    return {"d_acc": ratio(tp + tn, tp + fn + tn + fp),
            "d_acc_real": ratio(tp, tp + fn), "d_acc_fake": ratio(tn, tn + fp)}
