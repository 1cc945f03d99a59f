"""Which torch device a run uses: the one asked for if it exists, else the best present."""
from __future__ import annotations

import torch

from raygan.errors import RayganError


def best_device(requested: str | None = None) -> torch.device:
    """``requested`` if usable, else CUDA when present, else CPU; a clear error for missing CUDA."""
    if requested in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise RayganError("--device cuda was requested but no CUDA device is available; use --device cpu")
    try:
        return torch.device(requested)
    except RuntimeError:
        raise RayganError(f"unknown device '{requested}'; use cpu or cuda") from None


# GPU share per trial when the cluster has GPUs and --gpus-per-trial is not given: two small
# GAN trials keep one GPU busier than one (see bench/RESULTS.md, "Trial packing").
GPU_SHARE_DEFAULT = 0.5
