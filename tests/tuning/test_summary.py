"""How the summary says a trial ended: from its last report as Tune recorded it, never guessed from kimg."""
import sys

import pytest
from ray import cloudpickle

from raygan.tuning.summary import trial_status
from raygan.tuning.trial_row import Status

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the trainable below runs in a Ray worker

REPORT = {"kimg": 2.56, "collapsed": False, "collapse_reason": "", "out_of_time": False, "done": False}


@pytest.mark.parametrize("last, error, reached_end, expected", [
    (REPORT, None, True, (Status.COMPLETED, "")),
    ({**REPORT, "done": True}, None, True, (Status.COMPLETED, "")),  # ASHA's STOP at max_kimg
    ({**REPORT, "done": True}, None, False, (Status.STOPPED_BY_ASHA, "")),
    (REPORT, None, False, (Status.STOPPED_BY_TIME_BUDGET, "")),  # Tune's time_budget_s: no report marked
    ({**REPORT, "out_of_time": True}, None, False, (Status.OUT_OF_TIME, "")),
    ({**REPORT, "out_of_time": True, "done": True}, None, False, (Status.OUT_OF_TIME, "")),
    ({**REPORT, "collapsed": True, "collapse_reason": "non-finite loss", "done": True}, None, False,
     (Status.COLLAPSED, "non-finite loss")),
    ({}, None, False, (Status.NO_REPORT, "")),
    ({**REPORT, "collapsed": True}, RuntimeError("Traceback ...\nValueError: boom"), True,
     (Status.ERROR, "ValueError: boom")),
])
def test_how_a_trial_ended_follows_its_last_report(last, error, reached_end, expected):
    assert trial_status(last, error, reached_end) == expected


@pytest.mark.parametrize("last, reached_end, expected", [
    (REPORT, False, Status.INTERRUPTED),  # still training at the stop
    (REPORT, True, Status.COMPLETED),
    ({**REPORT, "done": True}, False, Status.STOPPED_BY_ASHA),
    ({**REPORT, "out_of_time": True}, False, Status.OUT_OF_TIME),
])
def test_a_stop_interrupts_only_the_trials_still_training(last, reached_end, expected):
    assert trial_status(last, None, reached_end, interrupted=True) == (expected, "")


def reports_like_a_trial(config):
    """Four reports of a fid that is worse the larger ``x``; ``x == 3`` collapses at its first report."""
    from ray import tune

    for step in range(1, 5):
        fid = 10.0 + config["x"]
        collapsed = config["x"] == 3
        tune.report({"kimg": 1.28 * step, "fid": fid, "fid_best": fid, "collapsed": collapsed,
                     "collapse_reason": "non-finite loss" if collapsed else "", "out_of_time": False})
        if collapsed:
            return


@pytest.mark.slow
def test_trials_asha_stopped_are_told_apart_live_and_from_tunes_records(tmp_path, tiny_space):
    """raygan's ASHA on one CPU (trials one after another, best first): later, worse trials stop at the
    first rung; the summary says so, and again when rebuilt from the experiment's files alone."""
    import ray
    from ray import tune

    from raygan.space import load_space
    from raygan.tuning.rebuild import _tune_records
    from raygan.tuning.summary import summarize
    from raygan.tuning.tuner import _scheduler

    space = load_space(tiny_space(max_steps=80, grace_period=40))  # a report every 1.28 kimg; rungs at 2.56
    ray.init(address="local", num_cpus=1, include_dashboard=False, logging_level="ERROR")
    try:
        tuner = tune.Tuner(reports_like_a_trial, param_space={"x": tune.grid_search([0, 1, 2, 3])},
                           # reuse_actors as in raygan's ASHA searches: one worker process for the four trials
                           tune_config=tune.TuneConfig(metric="fid_best", mode="min", scheduler=_scheduler(space),
                                                       reuse_actors=True),
                           run_config=tune.RunConfig(name="asha", storage_path=str(tmp_path), verbose=0))
        live = tuner.fit()
    finally:
        ray.shutdown()
    for grid in (live, _tune_records(tmp_path / "asha")):
        rows = {row.config["x"]: row for row in summarize([grid], space, str(tmp_path / "asha")).rows}
        assert {x: (row.status, row.kimg) for x, row in rows.items()} == {
            0: (Status.COMPLETED, 5.12), 1: (Status.STOPPED_BY_ASHA, 2.56), 2: (Status.STOPPED_BY_ASHA, 2.56),
            3: (Status.COLLAPSED, 1.28)}
        assert rows[1].status_text == "stopped by ASHA at 2.56 kimg"


def constrained_reports(space, fids_and_accuracies):
    """A trial's reports as the run loop and Tune record them: fid and label_acc, and the ranked value."""
    from raygan.constraints import ranked_value

    reports = []
    for i, (fid, label_acc) in enumerate(fids_and_accuracies):
        report = {**REPORT, "kimg": 1.28 * (i + 1), "fid": fid, "label_acc": label_acc}
        if space.constraints:
            report[space.ranked] = ranked_value(report, "fid", "min", space.constraints)
        reports.append(report)
    return reports


def hand_made_results(space, trials: dict):
    """Tune's results of ``trials`` (name -> [(fid, label_acc) per report]), as the summary reads them."""
    from types import SimpleNamespace

    import pandas as pd

    results = []
    for name, reports in trials.items():
        frame = pd.DataFrame(constrained_reports(space, reports))
        results.append(SimpleNamespace(metrics_dataframe=frame, metrics={"trial_id": name}, error=None,
                                       config={"lr_g": 1e-4}, path=f"/runs/x/{name}"))
    return results


TRIALS = {"a": [(90.0, 0.3), (60.0, 0.6), (50.0, 0.4)],  # best feasible: 60, not its best fid 50
          "b": [(70.0, 0.55), (45.0, 0.7)],
          "c": [(20.0, 0.2), (30.0, 0.45)],  # never feasible: closest to it at 30
          "d": [(10.0, 0.1)]}


def test_under_constraints_trials_that_met_them_rank_first_by_their_best_feasible_report():
    from raygan.space import parse_space
    from raygan.tuning.summary import summarize
    from raygan.tuning.trial_row import TrialRow

    raw = {"model": "cgan", "budget": {"max_kimg": 3.84, "report_kimg": 1.28}, "search": {"grace_kimg": 1.28},
           "params": {"lr_g": {"dist": "loguniform", "low": 1e-5, "high": 1e-3}}}
    space = parse_space({**raw, "constraints": {"label_acc": ">= 0.5"}}, "space.yaml")
    outcome = summarize([hand_made_results(space, TRIALS)], space, "/runs/x")
    rows = {row.trial: row for row in outcome.rows}
    assert [row.trial for row in outcome.rows] == ["b", "a", "c", "d"]
    assert {t: (r.best, r.best_kimg, r.feasible, r.constrained) for t, r in rows.items()} == {
        "b": (45.0, 2.56, True, {"label_acc": 0.7}), "a": (60.0, 2.56, True, {"label_acc": 0.6}),
        "c": (30.0, 2.56, False, {"label_acc": 0.45}), "d": (10.0, 1.28, False, {"label_acc": 0.1})}
    assert rows["c"].violation == pytest.approx(0.05) and rows["d"].violation == pytest.approx(0.4)
    assert (outcome.best_trial, outcome.best_value) == ("b", 45.0)
    header, *lines = outcome.cells()
    assert header[:5] == ["trial", "lr_g", "best fid (2000 samples)", "label_acc >= 0.5", "feasible"]
    assert [line[3:5] for line in lines] == [["0.7", "yes"], ["0.6", "yes"], ["0.45", "no"], ["0.1", "no"]]
    assert outcome.constraint_lines() == [
        "constraints: label_acc >= 0.5; 2 of 4 measured trial(s) met them at their best report (the rest rank last)"]
    # summary.jsonl keeps how far each missed, and reads it back
    assert TrialRow.from_record(rows["c"].to_record()).violation == rows["c"].violation
    assert TrialRow.from_record(rows["c"].to_record()).constrained == {"label_acc": 0.45}
    # when none met them: the best trial is the one that missed them least, and one line says so
    none_met = summarize([hand_made_results(space, {k: TRIALS[k] for k in "cd"})], space, "/runs/x")
    assert none_met.best_trial == "c" and none_met.constraint_lines()[-1] == (
        "warning: no trial met label_acc >= 0.5; the best generator is trial c's, which missed "
        "them least (label_acc 0.45 at 2.56 kimg): loosen the constraints or search longer")
    # the same reports without constraints: ranked by fid alone, the rows written as before
    plain = parse_space(raw, "space.yaml")
    unconstrained = summarize([hand_made_results(plain, TRIALS)], plain, "/runs/x")
    assert [(row.trial, row.best) for row in unconstrained.rows] == [("d", 10.0), ("c", 20.0), ("b", 45.0),
                                                                   ("a", 50.0)]
    assert unconstrained.constraint_lines() == [] and "feasible" not in unconstrained.cells()[0]
    assert not {"violation", "constrained"} & set(unconstrained.rows[0].to_record())
