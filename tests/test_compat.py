"""Files written before the reshape still load and resume unchanged.

``tests/fixtures/compat`` was written by raygan at commit 5318ccf (before the code was
reshaped into ``data/``, the Measurer and the conditioning module): for each of gan, cgan
(label at a hidden layer, learned embedding), dcgan (spectral norm, hinge loss) and cdcgan
(label at the input), a trainer with tiny widths trained 3 steps on MNIST's test split,
then ``write_checkpoint`` into ``<model>-checkpoint/`` and ``save_trainer_generator`` into
``<model>.safetensors``.  ``expected.safetensors`` holds what that code then drew from the
export on fixed noise (``<model>/export``) and after one more training step
(``<model>/after_one_step``), which a resumed run must reproduce.
"""
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from raygan.checkpoint import read_checkpoint
from raygan.config import GANConfig
from raygan.data import load_dataset
from raygan.generator_file import load_generator, read_metadata
from raygan.trainer import GANTrainer

FIXTURES = Path(__file__).parent / "fixtures" / "compat"
MODELS = ("gan", "cgan", "dcgan", "cdcgan")


@pytest.fixture(scope="module")
def expected():
    return load_file(str(FIXTURES / "expected.safetensors"))


def _noise(latent_dim: int, conditional: bool):
    z = torch.randn(2, latent_dim, generator=torch.Generator().manual_seed(1))
    return z, (torch.arange(2) if conditional else None)


@pytest.mark.parametrize("model", MODELS)
def test_an_export_written_before_loads_and_draws_the_same_images(model, expected):
    generator = load_generator(FIXTURES / f"{model}.safetensors")
    assert generator.metadata["model"] == model
    with torch.no_grad():
        drawn = generator(*_noise(generator.latent_dim, generator.conditional))
    assert torch.allclose(drawn, expected[f"{model}/export"], atol=1e-6)


@pytest.mark.parametrize("model", MODELS)
def test_a_checkpoint_written_before_resumes_to_the_same_next_step(model, expected, mnist_dir):
    folder = FIXTURES / f"{model}-checkpoint"
    saved = read_metadata(folder / "generator.safetensors")["config"]  # checkpoints had one
    config = GANConfig.from_saved(saved)
    assert saved["g_ema"] == 0.999 and config.ema_kimg == pytest.approx(8 * 0.6931 / 1.0005e-3 / 1000, rel=1e-3)
    trainer = GANTrainer(config, load_dataset("mnist", mnist_dir, "test"))
    history = read_checkpoint(folder, trainer)
    assert [report["step"] for report in history] == [3] and trainer.step == 3
    # the one thing that changed on purpose since: the average's decay, per image now (raygan.ema), where these
    # runs used min(g_ema, (1 + step) / (10 + step)); with that decay everything else resumes exactly as it did
    assert trainer.ema_decay() < 4 / 13
    trainer.ema_decay = lambda: 4 / 13
    trainer.train_step()
    with torch.no_grad():
        drawn = trainer.sampling_generator(*_noise(config.latent_dim, config.conditional))
    assert torch.allclose(drawn, expected[f"{model}/after_one_step"], atol=1e-5)
