"""The final run's starting point: the checkpoint saved with the summary's best report."""
from types import SimpleNamespace

import pyarrow.fs

from raygan.tuning.best import best_checkpoint


def trial_folder(tmp_path, *names):
    for name in names:
        (tmp_path / name).mkdir()
        (tmp_path / name / "trainer.pt").write_bytes(b"state")
    return SimpleNamespace(path=str(tmp_path), filesystem=pyarrow.fs.LocalFileSystem())


def test_the_best_reports_own_checkpoint_even_where_tune_never_registered_it(tmp_path):
    # Tune's list of the trial's checkpoints is not consulted: a phase that ended between a report and Tune's
    # save step leaves that report's folder in storage and out of the list
    result = trial_folder(tmp_path, "checkpoint_000003", "checkpoint_000004")
    checkpoint = best_checkpoint(result, {"fid": 12.0, "kimg": 5.12, "checkpoint_dir_name": "checkpoint_000004"})
    assert checkpoint.path == str(tmp_path / "checkpoint_000004")
    with checkpoint.as_directory() as folder:
        assert (tmp_path / "checkpoint_000004" / "trainer.pt").read_bytes() == b"state"
        assert folder == checkpoint.path


def test_none_where_the_best_report_saved_no_checkpoint(tmp_path):
    result = trial_folder(tmp_path, "checkpoint_000001")
    assert best_checkpoint(result, {"fid": 12.0, "checkpoint_dir_name": None}) is None
    assert best_checkpoint(result, {"fid": 12.0, "checkpoint_dir_name": float("nan")}) is None  # a blank cell
    assert best_checkpoint(result, {"fid": 12.0}) is None
