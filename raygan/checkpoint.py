"""Run checkpoints: everything needed to continue a run bit for bit, in one atomic file.

A checkpoint folder holds ``trainer.pt``: G, D, both optimisers, the weight average, step,
RNG states and the report history, loadable with ``torch.load(..., weights_only=True)`` (a
file holding anything else is refused, never unpickled).  The history lives inside
``trainer.pt`` so that the weights and the reports that led to them are written, and
restored, together.  A checkpoint is for continuing a run; the generator to look at or
export is saved beside it as a generator file (a run's ``best_generator.safetensors``).
"""
from __future__ import annotations

import json
import pickle
from pathlib import Path

import torch

from raygan.atomic import atomic_path
from raygan.budget import kimg_of_steps
from raygan.errors import RayganError, first_line
from raygan.layout import CHECKPOINT_STATE
from raygan.records import finite_or_none
from raygan.trainer import GANTrainer


def write_checkpoint(folder, trainer: GANTrainer, history: list[dict]) -> Path:
    """Save ``trainer`` and its report ``history`` under ``folder``; returns the file written."""
    path = Path(folder) / CHECKPOINT_STATE
    state = {**trainer.state_dict(), "history": json.dumps([finite_or_none(r) for r in history])}
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
    return path


def has_checkpoint(folder) -> bool:
    return (Path(folder) / CHECKPOINT_STATE).is_file()


def read_checkpoint(folder, trainer: GANTrainer) -> list[dict]:
    """Load the checkpoint in ``folder`` into ``trainer`` (keeping its own hyper-parameters); return the history."""
    path = Path(folder) / CHECKPOINT_STATE
    try:  # weights_only: a checkpoint holding arbitrary pickled objects is refused, never run
        state = torch.load(path, map_location=trainer.device, weights_only=True)
        history = json.loads(state.pop("history"))
        if not (isinstance(history, list) and all(isinstance(r, dict) and "step" in r for r in history)):
            raise ValueError("its report history is not a list of reports")
        for report in history:  # reports written before budgets counted images have only the step
            report.setdefault("kimg", kimg_of_steps(report["step"], trainer.config.batch_size, trainer.config.d_steps))
        trainer.load_state_dict(state)
        return history
    except (OSError, RuntimeError, KeyError, ValueError, TypeError, EOFError, AttributeError,
            pickle.UnpicklingError) as err:
        raise RayganError(f"checkpoint {path} is corrupt or not a raygan checkpoint ({first_line(err)}); "
                          "delete that checkpoint to start again from an earlier one or from scratch") from None
