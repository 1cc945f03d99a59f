"""The training engine on real MNIST: reports, determinism, confusion counts, checkpoints."""
import io
import math

import pytest
import torch

from raygan.config import GANConfig
from raygan.data import load_dataset
from raygan.engine import GANTrainer

SMALL = {"g_hidden": [64, 128], "d_hidden": [128, 64], "g_width": 8, "d_width": 8, "batch_size": 32}
REPORT_KEYS = {"step", "loss_d", "loss_g", "tp", "fn", "tn", "fp", "d_acc", "d_acc_real", "d_acc_fake",
               "images_per_s"}


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    return load_dataset("mnist", mnist_dir, "train")


@pytest.mark.parametrize("model", ["gan", "dcgan", "cgan", "cdcgan"])
def test_reports_every_k_steps_with_finite_values(mnist, model):
    config = GANConfig.from_dict({"model": model, **SMALL, "d_steps": 2})
    reports = []
    GANTrainer(config, mnist).run(steps=7, report_every=3, on_report=reports.append)
    assert [r["step"] for r in reports] == [3, 6, 7]
    for report in reports:
        assert REPORT_KEYS <= set(report)
        assert all(math.isfinite(report[k]) for k in REPORT_KEYS)
    # confusion counts cover every real and fake image D judged: steps x d_steps x batch each
    first = reports[0]
    assert first["tp"] + first["fn"] == 3 * 2 * 32 == first["tn"] + first["fp"]
    assert first["d_acc"] == pytest.approx((first["tp"] + first["tn"]) / (2 * 3 * 2 * 32))


def test_same_seed_same_run_other_seed_other_run(mnist):
    def final_weights(seed):
        trainer = GANTrainer(GANConfig.from_dict({**SMALL, "seed": seed}), mnist)
        report = trainer.run(steps=5, report_every=5)
        return report["loss_g"], torch.cat([p.flatten() for p in trainer.generator.parameters()])

    loss_a, weights_a = final_weights(1)
    loss_b, weights_b = final_weights(1)
    loss_c, weights_c = final_weights(2)
    assert loss_a == loss_b and torch.equal(weights_a, weights_b)
    assert not torch.equal(weights_a, weights_c)


def test_discriminator_learns_to_tell_real_digits_from_a_frozen_generator(mnist):
    """With G all but frozen, D must separate real MNIST from G's output within a few dozen steps."""
    trainer = GANTrainer(GANConfig.from_dict({**SMALL, "lr_g": 1e-9}), mnist)
    first = trainer.run(steps=10, report_every=10)
    last = trainer.run(steps=40, report_every=30)
    assert first["d_acc"] < 0.75 < 0.95 < last["d_acc"]
    assert last["loss_d"] < first["loss_d"]


def test_checkpoint_resumes_bit_for_bit_with_own_learning_rates(mnist):
    config = GANConfig.from_dict({**SMALL, "seed": 3})
    straight = GANTrainer(config, mnist)
    straight.run(steps=6, report_every=6)

    first = GANTrainer(config, mnist)
    first.run(steps=3, report_every=3)
    buffer = io.BytesIO()
    torch.save(first.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)  # only tensors and numbers: no pickled objects
    resumed = GANTrainer(config, mnist)
    resumed.load_state_dict(state)
    assert resumed.step == 3
    resumed.run(steps=6, report_every=3)
    for a, b in zip(straight.generator.parameters(), resumed.generator.parameters()):
        assert torch.equal(a, b)

    moved = GANTrainer(config, mnist)  # a checkpoint from another kind of device: re-seeded, not refused
    moved.load_state_dict({**state, "rng": torch.zeros(16, dtype=torch.uint8), "rng_device": "cuda"})
    assert torch.equal(moved.rng.get_state(), torch.Generator().manual_seed(config.seed + 3).get_state())

    faster = GANTrainer(config.replace(lr_g=1e-3, lr_d=5e-4), mnist)
    faster.load_state_dict(state)
    assert [g["lr"] for g in faster.opt_g.param_groups] == [1e-3]
    assert [g["lr"] for g in faster.opt_d.param_groups] == [5e-4]
