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
budget: {{max_kimg: {max_kimg}, report_kimg: 1.28, grace_kimg: {grace_kimg}, reduction_factor: 2,
          checkpoint_every: 1, quick_num: 200, final_num: 500{extra_budget}}}
collapse: {{patience: {patience}, warmup_kimg: 0}}
fixed: {{g_hidden: [32, 64], d_hidden: [64, 32]}}
params:
{params}
"""
LR_G_PARAM = "  lr_g: {dist: loguniform, low: 1.0e-4, high: 1.0e-3}"


@pytest.fixture
def tiny_space(tmp_path):
    """Write a small MLP-GAN search space and return its path.

    Lengths are given in steps at the default batch size of 64 (a report every 20 steps,
    1.28 kimg); ``extra`` adds top-level keys (``scheduler: pbt``), ``budget`` budget keys.
    """
    def write(params: str = LR_G_PARAM, max_steps: int = 60, grace_period: int = 20, patience: int = 2,
              extra: str = "", budget: str = "") -> Path:
        path = tmp_path / "space.yaml"
        path.write_text(extra + TINY_SPACE.format(params=params, max_kimg=max_steps * 0.064,
                                                  grace_kimg=grace_period * 0.064, patience=patience,
                                                  extra_budget=f", {budget}" if budget else ""))
        return path
    return write
