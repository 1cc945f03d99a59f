"""The run loop on real MNIST with a recording face: metrics, checkpoints, collapse, resume."""
import time
from contextlib import contextmanager

import pytest

from raygan.budget import Budget
from raygan.collapse import CollapseRules
from raygan.config import GANConfig
from raygan.data import load_dataset
from raygan.metrics import Evaluator, Measurer
from raygan.run_loop import RunPlan, run_loop
from raygan.trainer import GANTrainer

SMALL = {"g_hidden": [32, 64], "d_hidden": [64, 32], "batch_size": 16}
NO_COLLAPSE = CollapseRules(patience=100)


def in_steps(max_steps: int, report_every: int, **values) -> Budget:
    """A budget given in generator steps at SMALL's batch size of 16 (0.016 kimg a step)."""
    return Budget(max_kimg=max_steps * 0.016, report_kimg=report_every * 0.016, **values)


class RecordingFace:
    def __init__(self, checkpoint_dir):
        self.checkpoint_dir = checkpoint_dir
        self.started_with, self.events = None, []

    @contextmanager
    def latest_checkpoint(self):
        yield self.checkpoint_dir if (self.checkpoint_dir / "trainer.pt").exists() else None

    def start(self, history):
        self.started_with = history
        return {"face_tag": "recorded"}

    def publish(self, event):
        self.events.append(event)
        if event.checkpoint_due:
            event.write_checkpoint(self.checkpoint_dir)


@pytest.fixture(scope="module")
def test_split(mnist_dir):
    return load_dataset("mnist", mnist_dir, "test")


@pytest.fixture(scope="module")
def measurer(test_split):
    return Measurer(Evaluator.load("mnist"), test_split)


def _trainer(test_split, **changes):
    return GANTrainer(GANConfig.from_dict({**SMALL, **changes}), test_split)


def test_reports_carry_measured_metrics_and_checkpoints_follow_the_budget(tmp_path, test_split, measurer):
    face = RecordingFace(tmp_path)
    plan = RunPlan(in_steps(50, 10, checkpoint_every=2, quick_num=200), NO_COLLAPSE)
    trainer = _trainer(test_split)
    history = run_loop(trainer, plan, measurer, face)
    assert face.started_with == [] and [r["step"] for r in history] == [10, 20, 30, 40, 50]
    best_so_far, smooth_best, fids = float("inf"), float("inf"), []
    for event in face.events:
        report = event.report
        assert report["num_samples"] == 200 and report["evaluator"].startswith("mnist-") and "fid" in report
        assert report["collapsed"] is False and report["lr_g_in_use"] == trainer.config.lr_g
        assert report["face_tag"] == "recorded"
        assert report["kimg"] == pytest.approx(report["step"] * 0.016) and report["out_of_time"] is False
        assert event.new_best == (report["fid"] < best_so_far)
        best_so_far = min(best_so_far, report["fid"])
        assert report["fid_best"] == best_so_far
        fids.append(report["fid"])  # the moving average of the last 3, and its best so far: what ASHA and Optuna judge
        assert report["fid_smooth"] == pytest.approx(sum(fids[-3:]) / len(fids[-3:]))
        smooth_best = min(smooth_best, report["fid_smooth"])
        assert report["fid_smooth_best"] == smooth_best and 0 < report["fid_se"] < report["fid"]
        # every second report and the last one (a face saves a new best as it needs: new_best says when)
        assert event.checkpoint_due == (report["step"] % 20 == 0 or report["step"] == 50)
    assert face.events[0].new_best  # the first value is a best


def test_checkpoints_come_only_when_due(tmp_path, test_split, measurer):
    """Exactly every third report, and the last, are due; without a metric there is no new best either."""
    face = RecordingFace(tmp_path)
    plan = RunPlan(in_steps(70, 10, checkpoint_every=3, quick_num=0), NO_COLLAPSE)
    run_loop(_trainer(test_split), plan, measurer, face)
    assert [e.report["step"] for e in face.events if e.checkpoint_due] == [30, 60, 70]
    assert not any(e.new_best for e in face.events)


def test_a_collapsed_run_stops_after_the_report_that_says_why(tmp_path, test_split, measurer):
    face = RecordingFace(tmp_path)
    plan = RunPlan(in_steps(100, 10, quick_num=0), CollapseRules(d_acc_max=0.0, patience=1))
    history = run_loop(_trainer(test_split), plan, measurer, face)
    assert [r["step"] for r in history] == [10]
    assert face.events[-1].collapsed and face.events[-1].checkpoint_due
    assert "discriminator accuracy" in history[-1]["collapse_reason"]
    assert "fid" not in history[-1]  # quick_num 0: no metrics measured


def test_resume_hands_the_checkpoint_history_to_the_face_and_continues(tmp_path, test_split, measurer):
    budget = in_steps(40, 10, quick_num=0)
    run_loop(_trainer(test_split), RunPlan(in_steps(20, 10, quick_num=0), NO_COLLAPSE),
             measurer, RecordingFace(tmp_path))
    face = RecordingFace(tmp_path)
    history = run_loop(_trainer(test_split), RunPlan(budget, NO_COLLAPSE), measurer, face)
    assert [r["step"] for r in face.started_with] == [10, 20]
    assert [r["step"] for r in history] == [10, 20, 30, 40]
    assert [e.report["step"] for e in face.events] == [30, 40]


def test_two_batch_sizes_see_the_same_images_under_the_same_budget(tmp_path, test_split, measurer):
    """The budget counts real images shown to D, so batch size is a fair hyper-parameter."""
    plan = RunPlan(Budget(max_kimg=0.96, report_kimg=0.32, quick_num=0), NO_COLLAPSE)
    seen = {}
    for batch_size, d_steps in ((16, 1), (32, 1), (16, 2)):
        trainer = _trainer(test_split, batch_size=batch_size, d_steps=d_steps)
        history = run_loop(trainer, plan, measurer, RecordingFace(tmp_path / f"{batch_size}-{d_steps}"))
        seen[(batch_size, d_steps)] = (trainer.images, trainer.step, [r["kimg"] for r in history])
    assert seen == {(16, 1): (960, 60, [0.32, 0.64, 0.96]), (32, 1): (960, 30, [0.32, 0.64, 0.96]),
                    (16, 2): (960, 30, [0.32, 0.64, 0.96])}


def test_a_run_stops_checkpointed_at_its_last_report_before_the_deadline(tmp_path, test_split, measurer):
    face = RecordingFace(tmp_path)
    plan = RunPlan(in_steps(100, 10, quick_num=0), NO_COLLAPSE, deadline=time.time() - 1)
    history = run_loop(_trainer(test_split), plan, measurer, face)
    assert [r["step"] for r in history] == [10] and history[-1]["out_of_time"] is True
    assert face.events[-1].checkpoint_due and not face.events[-1].collapsed
