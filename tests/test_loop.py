"""The run loop on real MNIST with a recording face: metrics, checkpoints, collapse, resume."""
from contextlib import contextmanager

import pytest

from raygan.budget import Budget
from raygan.collapse import CollapseRules
from raygan.config import GANConfig
from raygan.data import load_dataset
from raygan.engine import GANTrainer
from raygan.loop import RunPlan, is_new_best, run_loop

SMALL = {"g_hidden": [32, 64], "d_hidden": [64, 32], "batch_size": 16}
NO_COLLAPSE = CollapseRules(patience=100)


class RecordingFace:
    def __init__(self, checkpoint_dir):
        self.checkpoint_dir = checkpoint_dir
        self.started_with, self.events = None, []

    @contextmanager
    def latest_checkpoint(self):
        yield self.checkpoint_dir if (self.checkpoint_dir / "trainer.pt").exists() else None

    def start(self, history):
        self.started_with = history

    def publish(self, event):
        self.events.append(event)
        if event.checkpoint_due:
            event.write_checkpoint(self.checkpoint_dir)


@pytest.fixture(scope="module")
def test_split(mnist_dir):
    return load_dataset("mnist", mnist_dir, "test")


def _trainer(test_split, **changes):
    return GANTrainer(GANConfig.from_dict({**SMALL, **changes}), test_split)


def test_reports_carry_measured_metrics_and_checkpoints_follow_the_budget(tmp_path, test_split, mnist_dir):
    face = RecordingFace(tmp_path)
    plan = RunPlan(Budget(max_steps=50, report_every=10, checkpoint_every=2, quick_num=200), NO_COLLAPSE)
    history = run_loop(_trainer(test_split), plan, mnist_dir, face)
    assert face.started_with == [] and [r["step"] for r in history] == [10, 20, 30, 40, 50]
    best_so_far = float("inf")
    for event in face.events:
        report = event.report
        assert report["num_samples"] == 200 and report["evaluator"].startswith("mnist-") and "fid" in report
        assert report["collapsed"] is False and report["lr_g_in_use"] == 2e-4
        assert event.new_best == (report["fid"] < best_so_far)
        best_so_far = min(best_so_far, report["fid"])
        assert report["fid_best"] == best_so_far  # what Optuna and ASHA judge the trial by
        # every second report, every new best fid, and the last one
        assert event.checkpoint_due == (report["step"] % 20 == 0 or event.new_best or report["step"] == 50)
    assert face.events[0].new_best  # the first value is a best


def test_checkpoints_come_only_when_due(tmp_path, test_split, mnist_dir):
    """Without a metric there is no new best: exactly every third report, and the last, are saved."""
    face = RecordingFace(tmp_path)
    plan = RunPlan(Budget(max_steps=70, report_every=10, checkpoint_every=3, quick_num=0), NO_COLLAPSE)
    run_loop(_trainer(test_split), plan, mnist_dir, face)
    assert [e.report["step"] for e in face.events if e.checkpoint_due] == [30, 60, 70]
    assert not any(e.new_best for e in face.events)


def test_a_collapsed_run_stops_after_the_report_that_says_why(tmp_path, test_split, mnist_dir):
    face = RecordingFace(tmp_path)
    plan = RunPlan(Budget(max_steps=100, report_every=10, quick_num=0), CollapseRules(d_acc_max=0.0, patience=1))
    history = run_loop(_trainer(test_split), plan, mnist_dir, face)
    assert [r["step"] for r in history] == [10]
    assert face.events[-1].collapsed and face.events[-1].checkpoint_due
    assert "discriminator accuracy" in history[-1]["collapse_reason"]
    assert "fid" not in history[-1]  # quick_num 0: no metrics measured


def test_resume_hands_the_checkpoint_history_to_the_face_and_continues(tmp_path, test_split, mnist_dir):
    budget = Budget(max_steps=40, report_every=10, quick_num=0)
    run_loop(_trainer(test_split), RunPlan(Budget(max_steps=20, report_every=10, quick_num=0), NO_COLLAPSE),
             mnist_dir, RecordingFace(tmp_path))
    face = RecordingFace(tmp_path)
    history = run_loop(_trainer(test_split), RunPlan(budget, NO_COLLAPSE), mnist_dir, face)
    assert [r["step"] for r in face.started_with] == [10, 20]
    assert [r["step"] for r in history] == [10, 20, 30, 40]
    assert [e.report["step"] for e in face.events] == [30, 40]


@pytest.mark.parametrize("values, mode, expected", [
    ([5.0], "min", True), ([5.0, 4.0], "min", True), ([5.0, 6.0], "min", False), ([5.0, 5.0], "min", False),
    ([0.5, 0.7], "max", True), ([None, 3.0], "min", True), ([3.0, None], "min", False),
])
def test_new_best_follows_the_mode(values, mode, expected):
    assert is_new_best([{"fid": v} for v in values], "fid", mode) is expected
