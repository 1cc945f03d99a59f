"""What a trial's report saved and how long that took: Tune's upload of its checkpoint counts in the same report;
a final run's candidates in storage follow its best reports and its last."""
import time
from types import SimpleNamespace

import pyarrow.fs
import pytest

from raygan.config import GANConfig
from raygan.data import load_dataset
from raygan.generator_file import load_generator
from raygan.run_loop import ReportEvent, RunPlan
from raygan.trainer import GANTrainer
from raygan.tuning.saving import keep_stored_candidates, new_record, timing_uploads
from raygan.tuning.storage import fetched, upload


class Storage:
    """A trial's storage as Tune's report uses it: its upload of a reported checkpoint."""

    def persist_current_checkpoint(self, checkpoint):
        time.sleep(0.05)
        return checkpoint


def test_tunes_upload_of_a_checkpoint_counts_in_the_report_that_carries_it():
    storage, saving = Storage(), new_record()
    report = {"fid": 1.0, "saving": saving}
    handed_on = dict(report)  # tune.report copies the report, then uploads the checkpoint, then hands the copy on
    with timing_uploads(storage, saving):
        assert storage.persist_current_checkpoint("checkpoint") == "checkpoint"
    assert handed_on["saving"]["seconds"] >= 0.05 and handed_on["saving"]["bytes"] == 0
    assert "persist_current_checkpoint" not in vars(storage)  # the storage's own method again, untimed
    seconds = saving["seconds"]
    storage.persist_current_checkpoint("checkpoint")
    assert saving["seconds"] == seconds


def test_an_upload_replaces_the_file_whole_and_reads_back(tmp_path):
    filesystem = pyarrow.fs.LocalFileSystem()
    local = tmp_path / "g.safetensors"
    target = f"{tmp_path}/trial/g.safetensors"
    for content in (b"first", b"second, longer"):
        local.write_bytes(content)
        assert upload(local, filesystem, target) == len(content)
        with fetched(filesystem, target) as path:
            assert path.read_bytes() == content
    assert sorted(p.name for p in (tmp_path / "trial").iterdir()) == ["g.safetensors"]  # no staging file left
    with fetched(filesystem, f"{tmp_path}/trial/none.safetensors") as path:
        assert path is None


@pytest.fixture(scope="module")
def trainer(mnist_dir):
    config = GANConfig.from_dict({"model": "gan", "g_hidden": [16], "d_hidden": [16], "batch_size": 16})
    return GANTrainer(config, load_dataset("mnist", mnist_dir, "test"))


def test_a_final_runs_candidates_in_storage_are_its_own_best_three_reports_and_its_last(tmp_path, trainer):
    """The history a final run continued (its source trial's reports) left no files in its folder and takes no
    place among them; a report that drops out of the best three loses its file; the last report keeps its own."""
    storage = SimpleNamespace(trial_fs_path=f"{tmp_path}/trial", storage_filesystem=pyarrow.fs.LocalFileSystem())
    folder = tmp_path / "trial" / "candidates"
    history = [{"trial": "donor", "kimg": 16.0, "fid": 1.0}]  # better than any of its own: not a candidate
    sent, kept = [], []
    for kimg, fid, last in ((32.0, 50.0, False), (48.0, 40.0, False), (64.0, 45.0, False), (80.0, 30.0, False),
                            (88.0, 70.0, False), (96.0, 60.0, True)):
        history.append({"trial": "final", "kimg": kimg, "fid": fid})
        event = ReportEvent(dict(history[-1]), history, trainer, checkpoint_due=last, new_best=False, last=last)
        (tmp_path / f"local-{kimg:g}").mkdir()
        sent.append(keep_stored_candidates(storage, event, RunPlan(), tmp_path / f"local-{kimg:g}"))
        kept.append([int(p.name[5:14]) // 1000 for p in sorted(folder.iterdir())])
    assert kept == [[32], [32, 48], [32, 48, 64], [48, 64, 80], [48, 64, 80], [48, 64, 80, 96]]
    assert [bool(n) for n in sent] == [True, True, True, True, False, True]  # 88 is neither among the best nor last
    generator = load_generator(folder / "kimg_000080000.safetensors")
    assert generator.metadata["metrics"]["fid"] == 30.0 and generator.sample(2).shape == (2, 1, 28, 28)
