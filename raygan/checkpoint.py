"""Run checkpoints: everything needed to continue a run bit for bit, in one atomic file.

A checkpoint folder holds ``trainer.pt`` (G, D, both optimisers, step, RNG states and the
report history, loadable with ``torch.load(..., weights_only=True)``: a file holding
anything else is refused, never unpickled) and ``generator.safetensors`` (the generator
as an export file, for looking at a checkpoint without raygan's trainer).  The history
lives inside ``trainer.pt`` so that the weights and the reports that led to them are
written, and restored, together.
"""
from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path

import torch

from raygan.atomic import atomic_path
from raygan.budget import kimg_of_steps
from raygan.errors import RayganError, first_line
from raygan.generator_file import save_trainer_generator
from raygan.layout import CHECKPOINT_GENERATOR, CHECKPOINT_STATE
from raygan.records import finite_or_none
from raygan.trainer import GANTrainer


def write_checkpoint(folder, trainer: GANTrainer, history: list[dict], metrics: dict | None) -> None:
    """Save ``trainer`` and its report ``history`` under ``folder``; ``metrics`` go into the generator file."""
    folder = Path(folder)
    state = {**trainer.state_dict(), "history": json.dumps([finite_or_none(r) for r in history])}
    with atomic_path(folder / CHECKPOINT_STATE) as tmp:
        torch.save(state, tmp)
    save_trainer_generator(folder / CHECKPOINT_GENERATOR, trainer, metrics)


def has_checkpoint(folder) -> bool:
    return (Path(folder) / CHECKPOINT_STATE).is_file()


def read_raw_generator(folder, generator):
    """G's own weights from the checkpoint in ``folder``, in a copy of ``generator`` (the checkpoint's
    export), when that export is G's weight average; None when it is G itself."""
    path = Path(folder) / CHECKPOINT_STATE
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        if "generator_ema" not in state:
            return None
        raw = copy.deepcopy(generator)
        raw.load_state_dict(state["generator"])
        return raw
    except (OSError, RuntimeError, KeyError, pickle.UnpicklingError) as err:
        raise RayganError(f"checkpoint {path} is corrupt or not a raygan checkpoint ({first_line(err)})") from None


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
