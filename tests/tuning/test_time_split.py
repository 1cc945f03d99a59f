"""The time split's arithmetic on hand-made reports: parts, start-up, idle slots and the job's driver time."""
import pandas as pd
import pytest

from raygan.tuning.summary import Phase
from raygan.tuning.time_split import job_split, phase_split, shares, trial_spent


def test_a_trials_parts_are_its_reports_sums_and_the_rest_is_start_up():
    frame = pd.DataFrame({"train_s": [4.0, 5.0], "metrics_s": [1.0, 1.0], "grids_s": [0.5, 0.5],
                          "saving/seconds": [0.2, 0.3], "time_total_s": [7.0, 15.0]})
    assert trial_spent(frame) == pytest.approx({"training": 9.0, "metrics": 2.0, "grids": 1.0, "saving": 0.5,
                                                "start-up": 2.5})
    older = pd.DataFrame({"time_total_s": [3.0]})  # reports from before raygan timed its parts: all start-up
    assert trial_spent(older) == {"training": 0.0, "metrics": 0.0, "grids": 0.0, "saving": 0.0, "start-up": 3.0}
    assert trial_spent(None) == {}


def test_a_phases_slots_the_trials_did_not_use_are_idle_and_the_job_adds_the_driver():
    spent = [{"training": 50.0, "metrics": 5.0, "grids": 1.0, "saving": 2.0, "start-up": 2.0},
             {"training": 30.0, "metrics": 3.0, "grids": 1.0, "saving": 1.0, "start-up": 5.0}]
    split = phase_split(spent, seconds=60.0, slots=2)
    assert split["training"] == 80.0 and split["idle"] == 120.0 - 100.0 and sum(split.values()) == 120.0
    final = Phase("final run", 100.0, slots=1, split=phase_split([{"training": 95.0, "start-up": 3.0}], 100.0, 1))
    job = job_split([Phase("search", 60.0, slots=2, split=split), final], seconds=170.0)
    assert job["training"] == 175.0 and job["idle"] == 20.0 + 2.0 and job["driver"] == 10.0
    assert shares({"training": 3.0, "idle": 1.0}) == "training 75%, idle 25%"
