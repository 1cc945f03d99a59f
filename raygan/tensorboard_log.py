"""TensorBoard events for a run or a trial: every report's numbers and its fixed-noise sample grid.

:class:`raygan.artifacts.ReportArtifacts` writes them into ``tensorboard/`` of a run's folder
and of each trial's.  ``tensorboard --logdir runs/NAME`` then compares a search's trials (each writes into its own
trial folder), and ``tensorboard --logdir runs`` single runs (each under ``OUT/tensorboard``).
The x axis is images shown to D (``kimg`` x 1000), the budget's own unit, so trials at
different batch sizes line up.  Written with PyTorch's ``SummaryWriter``.
"""
from __future__ import annotations

from pathlib import Path

from raygan import metrics
from raygan.plots import OVERFITTING, grid_image
from raygan.records import WALL_CLOCK_KEYS, is_finite_number

NOT_PLOTTED = ("step", "kimg", "pid", "num_samples", "samples_per_class", "time_this_iter_s", "time_total_s")


def tag(key: str) -> str:
    """A report key's TensorBoard tag, grouped: quality metrics, optimiser, system, training signals."""
    if key in metrics.METRICS or key.endswith("_best") or key == "fid_raw":
        group = "quality"
    elif key.endswith("_in_use"):
        group = "optimizer"
    elif key == "memory_mb" or key in WALL_CLOCK_KEYS:
        group = "system"
    elif key in OVERFITTING:
        group = "overfitting"
    else:
        group = "train"
    return f"{group}/{key}"


def scalars(report: dict) -> dict[str, float]:
    """The report's finite numbers (not flags, counters of the x axis or ids) by tag."""
    return {tag(key): float(value) for key, value in report.items()
            if key not in NOT_PLOTTED and is_finite_number(value)}


class TensorBoardLog:
    """Appends one run's reports to the event file(s) in ``folder``.

    A run that continues from a checkpoint (``history``: the reports it holds) first drops
    the events written after that checkpoint, which are about to be redone.
    """

    def __init__(self, folder, history: list[dict] = ()):
        from torch.utils.tensorboard import SummaryWriter

        purge_step = round(history[-1]["kimg"] * 1000) + 1 if history else None
        self.writer = SummaryWriter(str(Path(folder)), purge_step=purge_step)

    def add(self, report: dict, images, per_row: int) -> None:
        step = round(report["kimg"] * 1000)
        for name, value in scalars(report).items():
            self.writer.add_scalar(name, value, step)
        self.writer.add_image("samples", grid_image(images, per_row), step)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
