"""A trial's summary row: typed, written to summary.jsonl as before (the status as text), and read back."""
import pytest

from raygan.tuning.trial_row import Status, TrialRow, parse_status

TEXTS = [(Status.COMPLETED, "", "completed"),
         (Status.STOPPED_BY_ASHA, "", "stopped by ASHA at 64 kimg"),
         (Status.OUT_OF_TIME, "", "time budget at 64 kimg"),
         (Status.STOPPED_BY_TIME_BUDGET, "", "stopped by the time budget at 64 kimg"),
         (Status.COLLAPSED, "discriminator accuracy 1.00 >= 0.99 for 3 reports",
          "collapsed: discriminator accuracy 1.00 >= 0.99 for 3 reports"),
         (Status.ERROR, "RuntimeError: at step 3: boom", "error: RuntimeError: at step 3: boom"),
         (Status.NO_REPORT, "", "stopped before its first report"),
         (Status.INTERRUPTED, "", "interrupted at 64 kimg")]


def row(status: Status, detail: str = "", **fields) -> TrialRow:
    values = dict(trial="a_00001", phase="search", config={"lr_g": 3e-4}, best=41.5, best_kimg=32.0, kimg=64.0,
                  kimg_trained=64.0, seconds=90.0, lineage="", status=status, detail=detail, reports=4,
                  saved_bytes=12_000_000, save_s=1.5)
    return TrialRow(**{**values, **fields})


@pytest.mark.parametrize("status, detail, text", TEXTS)
def test_a_status_is_written_as_the_table_says_it_and_read_back(status, detail, text):
    written = row(status, detail, history=[[32.0, 41.5]], result=object()).to_record()
    assert written == {"trial": "a_00001", "phase": "search", "config": {"lr_g": 3e-4}, "best": 41.5, "best_kimg": 32.0,
                       "kimg": 64.0, "kimg_trained": 64.0, "seconds": 90.0, "lineage": "", "status": text,
                       "reports": 4, "saved_bytes": 12_000_000, "save_s": 1.5, "spent": {}}
    assert list(written) == ["trial", "phase", "config", "best", "best_kimg", "kimg", "kimg_trained", "seconds",
                             "lineage", "status",  # summary.jsonl's order, as before the rows were typed
                             "reports", "saved_bytes", "save_s",  # what the trial's reports saved to storage
                             "spent"]  # its time by part (raygan.tuning.time_split)
    assert parse_status(text) == (status, detail)
    assert TrialRow.from_record(written) == row(status, detail)
    older = {key: value for key, value in written.items() if key not in ("reports", "saved_bytes", "save_s", "spent")}
    assert TrialRow.from_record(older) == row(status, detail, reports=0, saved_bytes=0, save_s=0.0)


def test_a_status_text_that_no_status_writes_is_refused():
    with pytest.raises(ValueError, match="not a trial status: 'stopped by a person'"):
        parse_status("stopped by a person")
