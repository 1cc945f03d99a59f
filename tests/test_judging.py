"""How reports are judged: the best so far, the moving average a search judges a trial by, under constraints."""
import math

import pytest

from raygan.constraints import INFEASIBLE, Constraint
from raygan.judging import is_new_best, judged_key, moving_average
from raygan.run_loop import RunPlan, annotate_best


def annotated(reports: list[dict], plan: RunPlan) -> list[dict]:
    """``reports`` annotated one by one, as the run loop does after each report."""
    history = []
    for report in reports:
        history.append(dict(report))
        annotate_best(history, plan)
    return history


@pytest.mark.parametrize("values, mode, expected", [
    ([5.0], "min", True), ([5.0, 4.0], "min", True), ([5.0, 6.0], "min", False), ([5.0, 5.0], "min", False),
    ([0.5, 0.7], "max", True), ([None, 3.0], "min", True), ([3.0, None], "min", False), ([float("nan")], "min", False),
])
def test_new_best_follows_the_mode(values, mode, expected):
    assert is_new_best([{"fid": v} for v in values], "fid", mode) is expected


def test_a_lucky_report_wins_the_raw_best_but_not_the_smoothed_one():
    """40 then a lucky 20 then 40 again: the raw best keeps the luck, the 3-report average shrinks it to a third."""
    history = annotated([{"fid": v} for v in (60.0, 40.0, 20.0, 40.0, 40.0)], RunPlan())
    assert [r["fid_best"] for r in history] == [60.0, 40.0, 20.0, 20.0, 20.0]
    assert [r["fid_smooth"] for r in history] == pytest.approx([60.0, 50.0, 40.0, 100 / 3, 100 / 3])
    assert history[-1]["fid_smooth_best"] == pytest.approx(100 / 3)
    assert judged_key("fid") == "fid_smooth_best"


def test_an_unmeasured_report_carries_the_best_so_far_and_is_skipped_by_the_average():
    history = annotated([{"fid": 50.0}, {"fid": math.nan}, {}, {"fid": 60.0}], RunPlan())
    assert [r["fid_best"] for r in history] == [50.0, 50.0, 50.0, 50.0]  # not the 60 after the gap
    assert "fid_smooth" not in history[1] and "fid_smooth" not in history[2]
    assert history[3]["fid_smooth"] == 55.0 and history[3]["fid_smooth_best"] == 50.0
    assert moving_average([], "fid") is None


def test_under_max_the_best_is_the_highest():
    history = annotated([{"label_acc": v} for v in (0.5, 0.9, 0.7)], RunPlan(metric="label_acc", mode="max"))
    assert history[-1]["label_acc_best"] == 0.9 and history[-1]["label_acc_smooth"] == pytest.approx(0.7)


def test_under_constraints_the_smoothed_value_is_ranked_so_feasible_reports_still_come_first():
    plan = RunPlan(constraints=(Constraint("label_acc", ">=", 0.9),))
    history = annotated([{"fid": 30.0, "label_acc": 0.5}, {"fid": 50.0, "label_acc": 0.95},
                         {"fid": 40.0, "label_acc": 0.95}], plan)
    first, second, third = history
    assert first["fid_smooth_ranked"] == pytest.approx(INFEASIBLE + 0.4)  # infeasible: ranks by how far it missed
    assert second["fid_smooth"] == 40.0 and second["fid_smooth_ranked"] == 40.0
    assert third["fid_smooth_ranked_best"] == 40.0 and third["fid_ranked_best"] == 40.0
    assert judged_key("fid", plan.constraints) == "fid_smooth_ranked_best"
