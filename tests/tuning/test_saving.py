"""What a trial's report saved and how long that took: Tune's upload of its checkpoint counts in the same report."""
import time

import pyarrow.fs

from raygan.tuning.saving import new_record, timing_uploads
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
