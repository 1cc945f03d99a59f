"""Checkpoints: the whole trainer and its history round-trip in one file; corrupt and malicious files are refused."""
import io

import pytest
import torch

from raygan.checkpoint import has_checkpoint, read_checkpoint, write_checkpoint
from raygan.config import GANConfig
from raygan.data import load_dataset
from raygan.errors import RayganError
from raygan.layout import CHECKPOINT_STATE
from raygan.trainer import GANTrainer

SMALL = {"g_hidden": [32, 64], "d_hidden": [64, 32], "batch_size": 16}


@pytest.fixture(scope="module")
def test_split(mnist_dir):
    return load_dataset("mnist", mnist_dir, "test")


def test_round_trip_restores_step_weights_history_with_the_new_learning_rates(tmp_path, test_split):
    trainer = GANTrainer(GANConfig.from_dict({**SMALL, "lr_g": 1e-4, "lr_d": 1e-4}), test_split)
    report = trainer.run_steps(8, 8)
    history = [dict(report, fid=300.0, collapse_reason="")]
    assert write_checkpoint(tmp_path, trainer, history) == tmp_path / CHECKPOINT_STATE
    assert has_checkpoint(tmp_path) and not has_checkpoint(tmp_path / "elsewhere")
    assert [path.name for path in tmp_path.iterdir()] == [CHECKPOINT_STATE]  # no generator copy beside it

    restored = GANTrainer(GANConfig.from_dict({**SMALL, "lr_g": 7e-4, "lr_d": 3e-4}), test_split)
    assert read_checkpoint(tmp_path, restored) == history
    assert restored.step == 8
    assert restored.opt_g.param_groups[0]["lr"] == 7e-4 and restored.opt_d.param_groups[0]["lr"] == 3e-4
    for a, b in zip(trainer.generator.state_dict().values(), restored.generator.state_dict().values()):
        assert torch.equal(a, b)


def _state_file(folder, content: bytes):
    folder.mkdir(exist_ok=True)
    (folder / CHECKPOINT_STATE).write_bytes(content)
    return folder


def test_corrupt_checkpoint_is_a_clear_error(tmp_path, test_split):
    trainer = GANTrainer(GANConfig.from_dict(SMALL), test_split)
    with pytest.raises(RayganError, match="corrupt or not a raygan checkpoint"):
        read_checkpoint(_state_file(tmp_path / "c", b"\x00garbage" * 10), trainer)


def test_checkpoint_without_history_is_a_clear_error(tmp_path, test_split):
    trainer = GANTrainer(GANConfig.from_dict(SMALL), test_split)
    buffer = io.BytesIO()
    torch.save(trainer.state_dict(), buffer)  # a trainer state, but no history: not written by raygan
    with pytest.raises(RayganError, match="not a raygan checkpoint"):
        read_checkpoint(_state_file(tmp_path / "c", buffer.getvalue()), trainer)


def test_malicious_pickle_checkpoint_is_refused_not_run(tmp_path, test_split):
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (exec, (f"open({str(marker)!r}, 'w').write('x')",))

    buffer = io.BytesIO()
    torch.save({"step": Exploit()}, buffer)
    trainer = GANTrainer(GANConfig.from_dict(SMALL), test_split)
    with pytest.raises(RayganError, match="not a raygan checkpoint"):
        read_checkpoint(_state_file(tmp_path / "c", buffer.getvalue()), trainer)
    assert not marker.exists()


def test_spectral_norm_checkpoint_continues_bit_for_bit(tmp_path, test_split):
    """Spectral norm's power-iteration vectors are buffers of D: restored, the run goes on identically."""
    config = GANConfig.from_dict({"model": "dcgan", "g_width": 8, "d_width": 8, "batch_size": 16,
                                  "d_norm": "spectral", "loss": "hinge"})
    straight = GANTrainer(config, test_split)
    straight.run_steps(4, 4)
    first = GANTrainer(config, test_split)
    first.run_steps(2, 2)
    write_checkpoint(tmp_path, first, [{"step": 2}])
    resumed = GANTrainer(config, test_split)
    read_checkpoint(tmp_path, resumed)
    resumed.run_steps(4, 2)
    for module in ("generator", "discriminator"):
        a, b = getattr(straight, module).state_dict(), getattr(resumed, module).state_dict()
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert any(k.endswith("parametrizations.weight.original") for k in straight.discriminator.state_dict())
