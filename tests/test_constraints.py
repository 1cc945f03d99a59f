"""A search's constraints on reports: each bound, the violation, and the ranked value that puts every report that
misses them behind every report that meets them (pure: hand-made reports, no Ray)."""
import math

import pytest

from raygan.constraints import INFEASIBLE, Constraint, describe, ranked_key, ranked_value, violation, violation_of
from raygan.errors import RayganError
from raygan.records import BIG

LABELS = (Constraint("label_acc", ">=", 0.95),)


def report(fid, label_acc=None, **more):
    return {"fid": fid, **({} if label_acc is None else {"label_acc": label_acc}), **more}


@pytest.mark.parametrize("text, expected", [(">= 0.95", (">=", 0.95)), ("<=40", ("<=", 40.0)),
                                            ("  >=  1.0e-2 ", (">=", 0.01)), ("<= -3", ("<=", -3.0))])
def test_a_bound_reads_as_a_space_file_writes_it_and_back(text, expected):
    constraint = Constraint.parse("fid", text, "space.yaml: constraints.fid")
    assert (constraint.op, constraint.bound) == expected
    assert Constraint.parse("fid", constraint.text, "again") == constraint  # the form to_dict writes reads back
    assert str(Constraint("label_acc", ">=", 0.95)) == "label_acc >= 0.95"
    assert describe((Constraint("label_acc", ">=", 0.95), Constraint("fid", "<=", 40.0))) == \
        "label_acc >= 0.95 and fid <= 40.0"


@pytest.mark.parametrize("text", ["> 0.95", "== 0.95", ">= ", ">= high", ">= nan", ">= inf", "0.95", 0.95, None,
                                  ">= 0.9 0.95"])
def test_anything_else_is_a_one_line_error_naming_the_constraint_and_the_form(text):
    with pytest.raises(RayganError) as err:
        Constraint.parse("label_acc", text, "space.yaml: constraints.label_acc")
    message = str(err.value)
    assert "\n" not in message and message.startswith("space.yaml: constraints.label_acc: ")
    assert "'>= NUMBER' or '<= NUMBER'" in message and 'label_acc: ">= 0.95"' in message
    assert err.value.fields == ("constraints",)


def test_the_violation_is_how_far_a_report_misses_each_bound_summed():
    at_least, at_most = Constraint("label_acc", ">=", 0.95), Constraint("fid", "<=", 40.0)
    assert at_least.violation(report(30.0, 0.95)) == 0.0  # the bound itself meets it
    assert at_least.violation(report(30.0, 0.90)) == pytest.approx(0.05)
    assert at_most.violation(report(42.5)) == pytest.approx(2.5) and at_most.violation(report(12.0)) == 0.0
    assert violation(report(42.5, 0.90), (at_least, at_most)) == pytest.approx(2.55)
    # a report that does not hold the metric, or holds no finite value, misses it by BIG
    assert at_least.violation(report(30.0)) == BIG == at_least.violation(report(30.0, float("nan")))


def test_every_feasible_report_ranks_before_every_infeasible_one_which_rank_by_how_far_they_miss():
    reports = {"feasible, worse fid": report(80.0, 0.96), "infeasible, best fid": report(10.0, 0.90),
               "feasible, best fid": report(30.0, 0.99), "just infeasible": report(20.0, 0.94),
               "unmeasured labels": report(5.0)}
    for mode, sign in (("min", 1), ("max", -1)):
        ranked = {name: ranked_value(r, "fid", mode, LABELS) for name, r in reports.items()}
        order = sorted(ranked, key=lambda name: sign * ranked[name])
        if mode == "min":
            assert order == ["feasible, best fid", "feasible, worse fid", "just infeasible", "infeasible, best fid",
                             "unmeasured labels"]
        else:  # a metric to maximise: the larger feasible value first; the infeasible still last, least missing first
            assert order == ["feasible, worse fid", "feasible, best fid", "just infeasible", "infeasible, best fid",
                             "unmeasured labels"]
        # a feasible report's ranked value is its metric; an infeasible one's says how far it missed
        assert ranked["feasible, best fid"] == 30.0 and ranked["feasible, worse fid"] == 80.0
        assert sign * ranked["just infeasible"] == pytest.approx(INFEASIBLE + 0.01)
        assert {name: violation_of(value, mode) for name, value in ranked.items()} == pytest.approx(
            {"feasible, worse fid": 0.0, "infeasible, best fid": 0.05, "feasible, best fid": 0.0,
             "just infeasible": 0.01, "unmeasured labels": BIG})
        assert all(math.isfinite(value) for value in ranked.values())  # as Tune and Optuna need


def test_without_constraints_the_search_ranks_by_the_metric_itself():
    assert ranked_key("fid", ()) == "fid" and ranked_key("fid", LABELS) == "fid_ranked"
    assert ranked_value(report(30.0, 0.10), "fid", "min", ()) == 30.0
    assert ranked_value({"coverage": 0.4}, "coverage", "max", ()) == 0.4
