"""report.html from a search's records, and ``python -m raygan.report`` on a finished search (no Ray)."""
import json

import pytest

from raygan.layout import REPORT_FILE, SUMMARY_FILE
from raygan.report import main as report_main
from raygan.space import load_space
from raygan.tuning.html_report import build_report
from raygan.tuning.search_record import write_search_record
from raygan.tuning.summary import Outcome, Phase, read_summary, write_reports
from raygan.tuning.trial_row import Status, TrialRow


def finished_search(folder):
    """A search's folder as its end leaves it (without plots): search.json, summary.jsonl, phases.jsonl."""
    space = load_space("gan")
    config = {name: 1e-4 for name in space.params}

    def row(trial, best, status, detail="", kimg=96.0):
        return TrialRow(trial=trial, phase="search", config=config, best=best, best_kimg=32.0, kimg=kimg,
                        kimg_trained=kimg, seconds=60.0, lineage="", status=status, detail=detail, reports=3,
                        saved_bytes=12_000_000, save_s=1.5)

    rows = [row("t_00001", 30.0, Status.COMPLETED, kimg=160.0), row("t_00002", 40.0, Status.STOPPED_BY_ASHA),
            row("t_00003", 50.0, Status.COLLAPSED, "non-finite loss"),
            row("t_00004", float("nan"), Status.NO_REPORT, kimg=0.0)]
    outcome = Outcome(space, str(folder), rows, [Phase("search", 120.0, bytes_kept=120_000_000)])
    write_search_record(folder, "python -m raygan.search --space gan", space)
    write_reports(outcome, folder, None)
    return outcome


def test_the_page_says_how_each_trial_ended_as_the_table_does(tmp_path):
    outcome = finished_search(tmp_path)
    read = read_summary(tmp_path)  # the typed rows, read back as they were written (NaN as None)
    assert [(r.trial, r.status, r.detail, r.best) for r in read] == \
        [(r.trial, r.status, r.detail, r.best if r.best == r.best else None) for r in outcome.rows]
    page = build_report(tmp_path).read_text()
    assert "search: 2.0 min, 4 trial(s) (1 completed, 1 stopped by ASHA, 1 collapsed, 1 stopped before its first " \
           "report), 352 kimg trained, 4.0 trial-minutes; storage: 48.0 MB written in 6.0 s of saving (0.50 s per " \
           "report), 120.0 MB kept" in page
    assert "<td>stopped by ASHA at 96 kimg</td>" in page and "<td>completed</td>" in page
    assert "<li><code>t_00003</code>: collapsed: non-finite loss</li>" in page  # only it collapsed or failed
    assert page.count("<li><code>") == 1
    assert "python -m raygan.search --space gan" in page
    assert "Not computed: needs 4 trials with a measured fid (3 so far)" in page


def test_report_cli_rewrites_the_page_of_a_finished_search(tmp_path, capsys):
    finished_search(tmp_path)
    report_main([str(tmp_path)])
    assert capsys.readouterr().out.strip() == str(tmp_path / REPORT_FILE)
    assert "t_00004" in (tmp_path / REPORT_FILE).read_text()


def test_a_summary_with_an_unknown_status_is_a_one_line_error_with_the_fix(tmp_path, capsys):
    finished_search(tmp_path)
    summary = tmp_path / SUMMARY_FILE
    rows = [json.loads(line) for line in summary.read_text().splitlines()]
    summary.write_text(json.dumps({**rows[0], "status": "paused"}) + "\n")
    with pytest.raises(SystemExit) as exit_info:
        report_main([str(tmp_path)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1
    assert f"{summary} is not a summary raygan wrote" in err and "delete it and run python -m raygan.report" in err


def test_the_page_says_the_constraints_marks_each_trial_and_warns_when_none_met_them(tmp_path):
    from raygan.space import parse_space

    space = parse_space({**load_space("cgan").to_dict(), "constraints": {"label_acc": ">= 0.95"}}, "cgan.yaml")
    config = {name: 1e-4 for name in space.params}

    def row(trial, best, label_acc):
        return TrialRow(trial=trial, phase="search", config=config, best=best, best_kimg=32.0, kimg=96.0,
                        kimg_trained=96.0, seconds=60.0, lineage="", status=Status.COMPLETED,
                        violation=max(0.0, 0.95 - label_acc), constrained={"label_acc": label_acc})

    for folder, rows in ((tmp_path / "some", [row("t_00002", 40.0, 0.97), row("t_00001", 30.0, 0.90)]),
                         (tmp_path / "none", [row("t_00001", 30.0, 0.90), row("t_00002", 20.0, 0.80)])):
        write_search_record(folder, "python -m raygan.search --space constrained.yaml", space)
        write_reports(Outcome(space, str(folder), rows), folder, None)
        page = build_report(folder).read_text()
        assert "<th>label_acc &gt;= 0.95</th><th>feasible</th>" in page
        assert "<td>0.9</td><td>no</td>" in page
        met = "1 of 2" if folder.name == "some" else "0 of 2"
        assert f"<p>constraints: label_acc &gt;= 0.95; {met} measured trial(s) met them" in page
        assert ("warning: no trial met label_acc &gt;= 0.95; the best generator is trial "
                "t_00001&#x27;s" in page) == (folder.name == "none")
