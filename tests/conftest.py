"""Shared fixtures: the real datasets every test runs on.

MNIST comes from ``../shared/data/mnist`` beside the repository; Fashion-MNIST from
Debian's ``dataset-fashion-mnist`` package, which ``.ci/run`` installs.
"""
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    return REPO.parent / "shared" / "data" / "mnist"


@pytest.fixture(scope="session")
def fashion_dir() -> Path:
    return Path("/usr/share/datasets/fashion-mnist")


TINY_SPACE = """
model: gan
budget: {{max_steps: {max_steps}, report_every: 20, grace_period: {grace_period}, reduction_factor: 2,
          checkpoint_every: 1, quick_num: 200, final_num: 500}}
collapse: {{patience: {patience}, warmup_steps: 0}}
fixed: {{g_hidden: [32, 64], d_hidden: [64, 32]}}
params:
{params}
"""
LR_G_PARAM = "  lr_g: {dist: loguniform, low: 1.0e-4, high: 1.0e-3}"


@pytest.fixture
def tiny_space(tmp_path):
    """Write a small MLP-GAN search space (reports every 20 steps) and return its path."""
    def write(params: str = LR_G_PARAM, max_steps: int = 60, grace_period: int = 20, patience: int = 2) -> Path:
        path = tmp_path / "space.yaml"
        path.write_text(TINY_SPACE.format(params=params, max_steps=max_steps, grace_period=grace_period,
                                          patience=patience))
        return path
    return write
