"""The summary and plots of an interrupted search, rebuilt from Tune's own records of its experiment.

A search writes ``summary.jsonl`` and its plots only at its end; ``python -m raygan.report``
calls :func:`rebuild_summary` for one whose driver died first.
"""
from __future__ import annotations

from pathlib import Path

from raygan.errors import RayganError, first_line
from raygan.space import SearchSpace
from raygan.tuning.summary import FINAL_PHASE, Phase


def _tune_records(folder: Path):
    """Tune's results of the experiment in ``folder``; a one-line error when its state file is unreadable
    (Ray writes it in place, so a driver killed mid-write can leave it cut short)."""
    from ray import tune

    try:
        return tune.ResultGrid(tune.ExperimentAnalysis(str(folder)))
    except ValueError as err:  # json.JSONDecodeError is a ValueError
        raise RayganError(f"Tune's experiment state in {folder} is unreadable ({first_line(err)}), most likely cut "
                          "short when the driver was killed while Ray wrote it; the trials' own folders (result.json, "
                          "checkpoints) are intact") from None


def rebuild_summary(folder: Path, space: SearchSpace) -> None:
    """summary.jsonl and the plots from Tune's records of an experiment interrupted before its end."""
    from raygan.layout import FINAL_NAME
    from raygan.tuning.best import load_best
    from raygan.tuning.summary import summarize, write_reports

    grids = [_tune_records(folder)]
    if (folder / FINAL_NAME).is_dir():
        grids.append(_tune_records(folder / FINAL_NAME))
    unknown = float("nan")  # the phases' wall times died with the driver: no budget lines
    outcome = summarize(grids, space, str(folder), [Phase("search", unknown), Phase(FINAL_PHASE, unknown)])
    outcome.phases = []
    write_reports(outcome, folder, load_best(grids, space, outcome.best_trial))
