"""ADA's controller: p rises while D separates real from fake, falls while it cannot, and checkpoints."""
import io

import pytest
import torch

from raygan.ada import INTERVAL, AdaptiveP


def run(ada: AdaptiveP, logits: torch.Tensor, steps: int, images: int = 64) -> list[float]:
    ps = []
    for _ in range(steps):
        ada.observe(logits)
        ada.step(images)
        ps.append(float(ada.p))
    return ps


def test_p_rises_on_a_d_that_separates_perfectly_and_falls_on_one_that_cannot():
    sure = AdaptiveP(target=0.6, kimg=2.56, device="cpu")  # 64 images a step: 4 steps move p by 0.1
    ps = run(sure, torch.full((64,), 3.0), 4 * INTERVAL)
    assert ps[INTERVAL - 2] == 0 and ps[INTERVAL - 1] > 0  # adjusted once every INTERVAL steps
    assert ps[-1] == pytest.approx(0.4)  # 4 adjustments of 256 / 2560
    unsure = AdaptiveP(target=0.6, kimg=2.56, device="cpu", p=0.5)
    logits = torch.tensor([1.0, -1.0] * 32)  # half the real images judged real: r_t = 0, below the target
    assert run(unsure, logits, 2 * INTERVAL)[-1] < 0.5
    assert run(unsure, logits, 40 * INTERVAL)[-1] == 0.0  # never below 0
    assert run(sure, torch.full((64,), 3.0), 40 * INTERVAL)[-1] == 1.0  # never above 1


def test_its_state_survives_a_checkpoint():
    ada = AdaptiveP(target=0.6, kimg=1.0, device="cpu")
    run(ada, torch.full((8,), 2.0), INTERVAL + 2)
    buffer = io.BytesIO()
    torch.save(ada.state_dict(), buffer)
    buffer.seek(0)
    again = AdaptiveP(target=0.6, kimg=1.0, device="cpu")
    again.load_state_dict(torch.load(buffer, weights_only=True))
    assert run(again, torch.full((8,), -2.0), 5) == run(ada, torch.full((8,), -2.0), 5)
