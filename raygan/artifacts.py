"""The one writer of a run's per-report artifacts, for single runs and Ray trials alike.

At each report, the sampling generator draws its fixed-noise grid (one row per class for
a conditional model), which goes to a PNG named by kimg (``samples/kimg_NNNNNNNNN.png``,
:func:`raygan.layout.grid_name`) and, with every finite number of the report, to
TensorBoard (``tensorboard/``).  :class:`~raygan.folder_run.FolderFace` writes into the
run's ``--out`` folder; :class:`~raygan.tuning.trainable.TuneFace` into the trial's working
folder, which Ray syncs to the experiment's storage.
"""
from __future__ import annotations

from pathlib import Path

from raygan.layout import SAMPLES_DIR, TENSORBOARD_DIR, grid_name
from raygan.plots import sample_grid, save_grid
from raygan.tensorboard_log import TensorBoardLog


class ReportArtifacts:
    """Writes each report's sample grid and TensorBoard events under ``folder``.

    ``history``: the reports a resumed run already holds (their events written after its
    checkpoint are dropped, as they are about to be redone).
    """

    def __init__(self, folder, history: list[dict] = ()):
        self.folder = Path(folder)
        self.tensorboard = TensorBoardLog(self.folder / TENSORBOARD_DIR, history)

    def write(self, report: dict, generator) -> Path:
        """Draw ``generator``'s grid for ``report``; write it as a PNG and, with the report, as events.
        Returns the PNG's path."""
        images, per_row = sample_grid(generator)
        path = save_grid(images, self.folder / SAMPLES_DIR / grid_name(report["kimg"]), nrow=per_row)
        self.tensorboard.add(report, images, per_row)
        return path

    def close(self) -> None:
        self.tensorboard.close()
