"""What a search keeps of a trial once nothing can continue it: its results, artifacts and best generator.

While a phase runs, every checkpoint a trial may still be continued from stays (Tune keeps
them, see :mod:`.tuner`): a trial restarted after a failure, or resumed by ``--resume``, goes
on from its latest; under PBT a trial copies a donor's latest.  Once a phase has ended, its
trials are over, and their checkpoints (G, D, both optimisers, the weight average:
``trainer.pt``) are deleted, except the one the final run starts from (``keep``: the best
trial's best checkpoint, until the final run has ended).  What no phase's end reaches stays:
the trials of a phase that was interrupted (``--resume`` continues them from their latest
checkpoint), and those that errored (``--resume`` retries them).  A folder in the phase's experiment
that no trial of the ended phase owns (a trial a killed driver had started but not yet recorded,
which ``--resume`` starts afresh in a new folder) loses its checkpoints too: nothing can continue it.
A trial's best generator (:mod:`.saving`), and a final run's candidates, stay with it: the export is
chosen among them, and so is a ``--resume``'s that exports again.
"""
from __future__ import annotations

import posixpath

from raygan.tuning.storage import subfolders

CHECKPOINT_PREFIX = "checkpoint_"  # Tune's name for a trial's checkpoint folders


def prune(grid, keep: str | None = None) -> None:
    """Delete the checkpoint folders of the trials in ``grid`` (one phase's ``ResultGrid``), but ``keep`` (a
    checkpoint's path), if the phase has ended."""
    if grid.num_terminated + grid.num_errors < len(grid):
        return  # interrupted: --resume goes on from these checkpoints
    keep = posixpath.normpath(keep) if keep else None
    owned = {posixpath.normpath(result.path) for result in grid}
    orphans = [folder for folder in subfolders(grid.filesystem, grid.experiment_path)
               if posixpath.normpath(folder) not in owned]
    trials = [(result.filesystem, result.path) for result in grid if not result.error]
    for filesystem, trial in trials + [(grid.filesystem, folder) for folder in orphans]:
        for folder in subfolders(filesystem, trial):
            if posixpath.basename(folder).startswith(CHECKPOINT_PREFIX) and posixpath.normpath(folder) != keep:
                filesystem.delete_dir(folder)
