"""R1 against a hand-computed gradient norm; LeCam's term and its running means."""
import io

import pytest
import torch

from raygan.regularizers import LECAM_DECAY, LeCam, r1_penalty, suggested_r1_gamma


def test_r1_is_the_mean_squared_input_gradient_norm():
    weights = torch.tensor([[1.0, -2.0], [0.5, 3.0]])
    images = torch.randn(5, 1, 2, 2).requires_grad_(True)
    logits = (images.squeeze(1) * weights).sum(dim=(1, 2)) + (images.squeeze(1) ** 2).sum(dim=(1, 2))
    # d logit / d x = w + 2x, per image
    expected = ((weights + 2 * images.detach().squeeze(1)) ** 2).sum(dim=(1, 2)).mean()
    penalty = r1_penalty(logits, images)
    assert penalty.item() == pytest.approx(expected.item(), rel=1e-5)
    penalty.backward()  # the graph is kept: the penalty has a gradient of its own
    assert images.grad is not None and torch.isfinite(images.grad).all()


def test_suggested_r1_gamma_is_stylegan2_adas_heuristic():
    assert suggested_r1_gamma(32, 32, 64) == pytest.approx(0.0002 * 1024 / 64)


def test_lecam_pulls_real_outputs_toward_the_fake_mean_and_back():
    lecam = LeCam("cpu")
    real, fake = torch.tensor([2.0, 0.0]), torch.tensor([-1.0, -3.0])
    assert lecam.penalty(real, fake).item() == pytest.approx((4 + 0) / 2 + (1 + 9) / 2)  # means start at 0
    assert lecam.means.tolist() == [1.0, -2.0]  # the first batch sets them
    term = lecam.penalty(real, fake)  # relu(real - (-2))^2, relu(1 - fake)^2
    assert term.item() == pytest.approx((16 + 4) / 2 + (4 + 16) / 2)
    assert lecam.means.tolist() == pytest.approx([1.0, -2.0])  # the same batch again: unchanged
    lecam.penalty(torch.tensor([3.0]), torch.tensor([0.0]))
    assert lecam.means.tolist() == pytest.approx([LECAM_DECAY + (1 - LECAM_DECAY) * 3, -2 * LECAM_DECAY])


def test_lecams_means_survive_a_checkpoint():
    lecam = LeCam("cpu")
    lecam.penalty(torch.tensor([0.7, 0.1]), torch.tensor([-0.4]))
    buffer = io.BytesIO()
    torch.save(lecam.state_dict(), buffer)
    buffer.seek(0)
    again = LeCam("cpu")
    again.load_state_dict(torch.load(buffer, weights_only=True))
    real, fake = torch.tensor([1.5]), torch.tensor([-0.2])
    assert again.penalty(real, fake).item() == lecam.penalty(real, fake).item()
    assert torch.equal(again.means, lecam.means)
