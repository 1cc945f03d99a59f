"""Losses and confusion counts on hand-computed logits."""
import math

import pytest
import torch

from raygan.losses import accuracies, confusion_counts, discriminator_loss, generator_loss


def test_discriminator_loss_by_hand():
    real, fake = torch.tensor([0.0, 2.0]), torch.tensor([-1.0, 0.0])
    # -log sigmoid(x) for real, -log(1 - sigmoid(x)) for fake, each averaged
    expected = (math.log(2) + math.log(1 + math.exp(-2))) / 2 + (math.log(1 + math.exp(-1)) + math.log(2)) / 2
    assert discriminator_loss(real, fake).item() == pytest.approx(expected, rel=1e-6)


def test_one_sided_label_smoothing_only_moves_real_targets():
    real, fake = torch.tensor([3.0]), torch.tensor([-3.0])
    smooth = 0.1
    p = 1 / (1 + math.exp(-3.0))
    expected_real = -(0.9 * math.log(p) + 0.1 * math.log(1 - p))
    expected_fake = -math.log(1 - 1 / (1 + math.exp(3.0)))
    assert discriminator_loss(real, fake, label_smoothing=smooth).item() == pytest.approx(expected_real + expected_fake, rel=1e-6)


def test_generator_loss_is_non_saturating():
    logits = torch.tensor([0.0, -4.0])
    expected = (math.log(2) + math.log(1 + math.exp(4))) / 2  # -log D(G(z))
    assert generator_loss(logits).item() == pytest.approx(expected, rel=1e-6)
    # far from saturating: a confident D still gives G a gradient of ~1 per sample
    x = torch.tensor([-10.0], requires_grad=True)
    generator_loss(x).backward()
    assert x.grad.abs().item() > 0.99


def test_hinge_loss_by_hand():
    real, fake = torch.tensor([2.0, 0.5, -1.0]), torch.tensor([-3.0, -0.5, 1.0])
    # relu(1 - real): 0, 0.5, 2 -> mean 5/6; relu(1 + fake): 0, 0.5, 2 -> mean 5/6
    assert discriminator_loss(real, fake, "hinge").item() == pytest.approx(5 / 3, rel=1e-6)
    assert generator_loss(fake, "hinge").item() == pytest.approx(2.5 / 3, rel=1e-6)  # -mean(fake)


def test_least_squares_loss_by_hand():
    real, fake = torch.tensor([1.0, -1.0]), torch.tensor([-1.0, 2.0])
    # real targets +1: errors 0, 2; fake targets -1: errors 0, 3; each half 0.5 * mean square
    assert discriminator_loss(real, fake, "ls").item() == pytest.approx(0.5 * 4 / 2 + 0.5 * 9 / 2, rel=1e-6)
    assert generator_loss(fake, "ls").item() == pytest.approx(0.5 * (4 + 1) / 2, rel=1e-6)  # target +1


@pytest.mark.parametrize("loss", ["hinge", "ls"])
def test_label_smoothing_and_unknown_losses_are_refused(loss):
    with pytest.raises(ValueError, match="ns loss only"):
        discriminator_loss(torch.zeros(2), torch.zeros(2), loss, label_smoothing=0.1)
    with pytest.raises(ValueError, match="unknown loss 'wgan'"):
        generator_loss(torch.zeros(2), "wgan")


def test_confusion_counts_and_accuracies():
    real = torch.tensor([2.0, 0.5, -1.0, -0.1, 3.0])  # 3 judged real, 2 judged fake
    fake = torch.tensor([-2.0, 1.0, -0.5])  # 2 judged fake, 1 judged real
    tp, fn, tn, fp = confusion_counts(real, fake).tolist()
    assert (tp, fn, tn, fp) == (3, 2, 2, 1)
    acc = accuracies(tp, fn, tn, fp)
    assert acc == pytest.approx({"d_acc": 5 / 8, "d_acc_real": 3 / 5, "d_acc_fake": 2 / 3})
    assert accuracies(0, 0, 0, 0) == {"d_acc": 0.0, "d_acc_real": 0.0, "d_acc_fake": 0.0}
