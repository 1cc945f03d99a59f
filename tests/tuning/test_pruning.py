"""Pruning a phase's trials: checkpoints go once the phase has ended, except the final run's start and an
errored trial's; the rest of a trial's folder stays."""
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.fs

from raygan.layout import BEST_GENERATOR, CHECKPOINT_STATE
from raygan.tuning.pruning import prune


@dataclass
class Result:
    """What pruning reads of a Tune ``Result``: where the trial's folder is, and whether it errored."""

    path: str
    error: Exception | None = None
    filesystem: pyarrow.fs.FileSystem = field(default_factory=pyarrow.fs.LocalFileSystem)


class Grid(list):
    """A phase's ``ResultGrid``: its results, and how many of its trials Tune saw end."""

    def __init__(self, results, ended: int | None = None, experiment: Path | None = None):
        super().__init__(results)
        self.filesystem = pyarrow.fs.LocalFileSystem()
        self.experiment_path = str(experiment or Path(results[0].path).parent)
        errors = sum(1 for result in results if result.error)
        self.num_errors = errors
        self.num_terminated = (len(results) if ended is None else ended) - errors


def trial(folder: Path, checkpoints: int, error=None) -> Result:
    for index in range(checkpoints):
        (folder / f"checkpoint_{index:06d}").mkdir(parents=True)
        (folder / f"checkpoint_{index:06d}" / CHECKPOINT_STATE).write_bytes(b"state")
    for name in (BEST_GENERATOR, "result.json"):
        (folder / name).write_bytes(b"kept")
    (folder / "samples").mkdir()
    return Result(str(folder), error)


def kept(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


def test_an_ended_phase_keeps_best_generators_and_only_the_checkpoint_the_final_run_starts_from(tmp_path):
    done, source = trial(tmp_path / "done", 3), trial(tmp_path / "source", 2)
    prune(Grid([done, source]), keep=f"{source.path}/checkpoint_000001/")
    assert kept(tmp_path / "done") == [BEST_GENERATOR, "result.json"]
    assert kept(tmp_path / "source") == [BEST_GENERATOR, f"checkpoint_000001/{CHECKPOINT_STATE}", "result.json"]
    prune(Grid([done, source]))  # after the final run: that one goes too
    assert kept(tmp_path / "source") == [BEST_GENERATOR, "result.json"]


def test_an_interrupted_phase_and_an_errored_trial_keep_their_checkpoints_for_resume(tmp_path):
    running, finished = trial(tmp_path / "running", 2), trial(tmp_path / "finished", 2)
    prune(Grid([running, finished], ended=1))  # one trial still running: --resume continues it
    assert len(kept(tmp_path / "running")) == len(kept(tmp_path / "finished")) == 4
    failed = trial(tmp_path / "failed", 2, error=RuntimeError("worker died"))
    prune(Grid([running, finished, failed]))
    assert len(kept(tmp_path / "failed")) == 4 and kept(tmp_path / "finished") == [BEST_GENERATOR, "result.json"]


def test_an_ended_phase_also_clears_a_folder_no_trial_owns_but_leaves_the_rest_of_it(tmp_path):
    """A trial a killed driver started but never recorded: --resume ran it afresh elsewhere, so nothing continues
    it; its checkpoints go, its other files (and any non-trial folder) stay."""
    done = trial(tmp_path / "done", 2)
    orphan = trial(tmp_path / "orphan", 1)
    (tmp_path / "final" / "inner").mkdir(parents=True)  # the final run's phase, pruned on its own
    prune(Grid([done]))
    assert kept(tmp_path / "orphan") == [BEST_GENERATOR, "result.json"] == kept(tmp_path / "done")
    assert (tmp_path / "final" / "inner").is_dir() and Path(orphan.path).is_dir()
    prune(Grid([trial(tmp_path / "running", 2)], ended=0, experiment=tmp_path))
    assert len(kept(tmp_path / "running")) == 4  # an interrupted phase touches nothing, orphans included
