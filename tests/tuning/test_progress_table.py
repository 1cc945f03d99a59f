"""The search's own progress table: the columns that matter, running trials first, then the best finished."""
import re
from types import SimpleNamespace

from raygan.tuning.progress_table import MAX_ROWS, ProgressTable


def trial(trial_id, status, **result):
    return SimpleNamespace(trial_id=trial_id, status=status, last_result=result)


def test_running_trials_come_first_then_the_finished_by_best_and_pending_ones_are_counted():
    trials = [trial("a", "TERMINATED", kimg=2.56, fid=80.0, fid_best=60.0, d_acc=0.7, classes_covered=9.0),
              trial("b", "RUNNING", kimg=1.28, fid=90.0, fid_best=90.0, d_acc=0.5, classes_covered=10.0),
              trial("c", "TERMINATED", kimg=3.84, fid=50.123, fid_best=41.0, d_acc=0.8, classes_covered=10.0),
              trial("d", "PENDING")]
    text = ProgressTable("search", "fid", "min").render(trials)
    heading, header, *rows = text.splitlines()
    assert heading.startswith("search ") and heading.endswith(": 2 TERMINATED, 1 RUNNING, 1 PENDING")
    assert re.split(r"\s{2,}", header) == ["trial", "status", "kimg", "fid", "best fid", "D acc", "classes"]
    assert [row.split() for row in rows] == [["b", "RUNNING", "1.28", "90", "90", "0.5", "10"],
                                             ["c", "TERMINATED", "3.84", "50.1", "41", "0.8", "10"],
                                             ["a", "TERMINATED", "2.56", "80", "60", "0.7", "9"]]
    # a metric to maximise ranks the other way
    higher = ProgressTable("final run", "coverage", "max").render(
        [trial("a", "TERMINATED", kimg=1.0, coverage=0.2, coverage_best=0.3),
         trial("b", "TERMINATED", kimg=1.0, coverage=0.5, coverage_best=0.6)])
    assert [row.split()[0] for row in higher.splitlines()[2:]] == ["b", "a"]


def test_a_long_search_shows_the_best_rows_and_counts_the_rest():
    trials = [trial(f"t{i:02d}", "TERMINATED", kimg=1.0, fid=float(i), fid_best=float(i)) for i in range(30)]
    lines = ProgressTable("search", "fid", "min").render(trials).splitlines()
    assert [line.split()[0] for line in lines[2:-1]] == [f"t{i:02d}" for i in range(MAX_ROWS)]
    assert lines[-1] == f"({30 - MAX_ROWS} more)"
    assert ProgressTable("search", "fid", "min").render([trial("x", "PENDING")]).endswith(": 1 PENDING")


def test_under_constraints_the_best_is_the_best_that_met_them_and_those_trials_rank_first():
    from raygan.constraints import INFEASIBLE, Constraint

    trials = [trial("low", "TERMINATED", kimg=2.56, fid=30.0, fid_ranked_best=INFEASIBLE + 0.2, label_acc=0.75,
                    d_acc=0.6, classes_covered=7.0),
              trial("met", "TERMINATED", kimg=2.56, fid=55.0, fid_ranked_best=48.0, label_acc=0.97, d_acc=0.7,
                    classes_covered=10.0),
              trial("near", "TERMINATED", kimg=2.56, fid=40.0, fid_ranked_best=INFEASIBLE + 0.01, label_acc=0.94,
                    d_acc=0.7, classes_covered=10.0)]
    text = ProgressTable("search", "fid", "min", (Constraint("label_acc", ">=", 0.95),)).render(trials)
    _, header, *rows = text.splitlines()
    assert re.split(r"\s{2,}", header) == ["trial", "status", "kimg", "fid", "best fid", "label_acc", "D acc",
                                           "classes"]
    assert [row.split() for row in rows] == [["met", "TERMINATED", "2.56", "55", "48", "0.97", "0.7", "10"],
                                             ["near", "TERMINATED", "2.56", "40", "-", "0.94", "0.7", "10"],
                                             ["low", "TERMINATED", "2.56", "30", "-", "0.75", "0.6", "7"]]


def test_in_a_notebook_the_table_is_redrawn_in_one_output(fake_notebook, capsys):
    table = ProgressTable("search", "fid", "min")
    table.show([trial("a", "RUNNING", kimg=1.0, fid=90.0, fid_best=90.0)])
    table.show([trial("a", "TERMINATED", kimg=2.0, fid=80.0, fid_best=80.0)])
    (shown, updates), = fake_notebook.outputs
    assert "RUNNING" in shown and len(updates) == 1 and "TERMINATED" in updates[0]
    assert capsys.readouterr().out == ""  # nothing scrolls


def test_elsewhere_each_table_is_printed_below_the_last(capsys):
    table = ProgressTable("search", "fid", "min")
    table.show([trial("a", "RUNNING", kimg=1.0, fid=90.0, fid_best=90.0)])
    table.show([trial("a", "TERMINATED", kimg=2.0, fid=80.0, fid_best=80.0)])
    out = capsys.readouterr().out
    assert out.startswith("\nsearch ") and out.count("\nsearch ") == 2
