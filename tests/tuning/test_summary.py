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
    ray.init(num_cpus=1, include_dashboard=False, logging_level="ERROR")
    try:
        tuner = tune.Tuner(reports_like_a_trial, param_space={"x": tune.grid_search([0, 1, 2, 3])},
                           tune_config=tune.TuneConfig(metric="fid_best", mode="min", scheduler=_scheduler(space)),
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
