"""The GAN objectives and the discriminator's confusion counts, on logits.

Pure tensor functions, so they are tested on hand-computed values without any model.
A logit > 0 means "real" under every objective, so D's accuracy is always read from the
sign of its output (:func:`confusion_counts`).

``loss`` names the objective:

* ``ns``: the non-saturating loss of Goodfellow et al. (2014), on the logits' sigmoid;
* ``hinge``: the hinge loss of Lim & Ye (2017) and Miyato et al. (2018), which stops
  pushing D on samples it already judges beyond a margin of 1;
* ``ls``: least squares (Mao et al. 2017), which pulls D's output to a target rather than
  saturating; the targets are +1 for real and -1 for fake (G aims at +1), so that the
  sign still means real or fake.

An auxiliary classifier head (``d_cond: ac``) adds :func:`class_loss` to both, whatever the objective.
"""
import torch
from torch.nn import functional as F

LOSSES = ("ns", "hinge", "ls")


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, loss: str = "ns",
                       label_smoothing: float = 0.0) -> torch.Tensor:
    """D's loss under ``loss``, each half averaged over its batch.

    One-sided label smoothing (real targets 1 - s) softens a probability target, which
    only ``ns`` has; hinge and ``ls`` refuse it rather than silently ignore it.
    """
    if label_smoothing and loss != "ns":
        raise ValueError(f"label smoothing applies to the ns loss only, not to {loss!r}")
    if loss == "ns":  # -log D(x) - log(1 - D(G(z)))
        real_target = torch.full_like(real_logits, 1.0 - label_smoothing)
        return (F.binary_cross_entropy_with_logits(real_logits, real_target)
                + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
    if loss == "hinge":
        return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()
    if loss == "ls":
        return 0.5 * (real_logits - 1.0).square().mean() + 0.5 * (fake_logits + 1.0).square().mean()
    raise ValueError(_unknown(loss))


def generator_loss(fake_logits: torch.Tensor, loss: str = "ns") -> torch.Tensor:
    """G's loss under ``loss``: ``ns`` is -log D(G(z)) = softplus(-logit), whose gradient does
    not vanish when D is confident; hinge raises D's logit without a margin; ``ls`` pulls it to +1."""
    if loss == "ns":
        return F.softplus(-fake_logits).mean()
    if loss == "hinge":
        return -fake_logits.mean()
    if loss == "ls":
        return 0.5 * (fake_logits - 1.0).square().mean()
    raise ValueError(_unknown(loss))


def class_loss(class_logits: torch.Tensor | None, labels: torch.Tensor | None, weight: float) -> torch.Tensor | float:
    """An auxiliary classifier's term in either loss: ``weight`` times the cross-entropy of its class logits
    against ``labels`` (the real images' classes in D's loss, the requested ones in G's: D learns to classify
    real images only); 0 without one."""
    if class_logits is None:
        return 0.0
    return weight * F.cross_entropy(class_logits, labels)


def _unknown(loss: str) -> str:
    return f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}"


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
