"""Which torch device a run uses: the one place that decides it, for commands and Ray trials alike."""
from __future__ import annotations

import torch

from raygan.errors import RayganError


def pick_device(requested: str | None = "auto") -> torch.device:
    """``requested`` if usable; for ``auto`` (or None) CUDA when torch can use it, else the CPU.

    A Ray trial asks for ``auto``: a "GPU" resource with no CUDA behind it (a CPU-only node
    that advertises GPUs, or a simulated cluster's fake ones) falls back to the CPU.
    """
    if requested in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise RayganError("device cuda was requested but no CUDA device is available; use device cpu", "device")
    try:
        return torch.device(requested)
    except RuntimeError:
        raise RayganError(f"unknown device '{requested}'; use cpu, cuda or auto") from None
