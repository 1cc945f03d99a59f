"""Sample grids as torchvision lays them out, written without importing torchvision or matplotlib."""
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from raygan.plots import grid_image, save_grid


@pytest.mark.parametrize("count, channels, nrow", [(5, 1, 2), (64, 1, 8), (3, 3, 8), (10, 3, 4)])
def test_a_grid_is_torchvisions_make_grid_of_the_same_images(count, channels, nrow, tmp_path):
    from torchvision.utils import make_grid, save_image

    images = torch.rand(count, channels, 7, 9, generator=torch.Generator().manual_seed(count)) * 2.4 - 1.2
    expected = make_grid(images.clamp(-1, 1), nrow=nrow, normalize=True, value_range=(-1, 1), padding=2)
    assert torch.allclose(grid_image(images, nrow), expected, atol=1e-6)
    save_image(expected, str(tmp_path / "torchvision.png"), format="png")
    save_grid(images, tmp_path / "raygan.png", nrow)
    ours, theirs = (np.asarray(Image.open(tmp_path / f"{name}.png")) for name in ("raygan", "torchvision"))
    assert ours.shape == theirs.shape and np.abs(ours.astype(int) - theirs).max() <= 1


def test_a_trial_worker_imports_neither_torchvision_nor_matplotlib():
    """What every trial worker and command imports first leaves both out: seconds per process on two cores."""
    probe = "import sys, raygan.tuning.trainable, raygan.plots; print(sorted({m.split('.')[0] for m in sys.modules}))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert "'torchvision'" not in loaded and "'matplotlib'" not in loaded and "'raygan'" in loaded
