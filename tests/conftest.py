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
