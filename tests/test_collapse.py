"""Collapse rules on constructed report histories (no Ray, no training)."""
import math

import pytest

from raygan.collapse import CollapseRules, collapse_reason
from raygan.errors import RayganError

RULES = CollapseRules(d_acc_max=0.99, min_classes=2, min_diversity=0.25, patience=3, warmup_kimg=32)


def report(step, **values):
    """A report at ``step`` of a run at batch 64 (64 images a step)."""
    return {"step": step, "kimg": step * 0.064, "loss_d": 0.7, "loss_g": 1.5, "d_acc": 0.7, "classes_covered": 10,
            "diversity": 0.9,
            **values}


def test_healthy_run_is_not_collapsed():
    assert collapse_reason([report(250 * i) for i in range(1, 12)], RULES) is None
    assert collapse_reason([], RULES) is None


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, None])
def test_non_finite_loss_collapses_at_once(bad):
    reason = collapse_reason([report(250), report(500, loss_g=bad)], RULES)
    assert reason.startswith("non-finite loss at 32 kimg")  # step 500 at batch 64


def test_discriminator_winning_needs_patience():
    history = [report(250, d_acc=1.0), report(500, d_acc=0.995)]
    assert collapse_reason(history, RULES) is None
    history.append(report(750, d_acc=0.991))
    assert "discriminator accuracy >= 0.99 for 3 reports" in collapse_reason(history, RULES)
    history.append(report(1000, d_acc=0.5))
    assert collapse_reason(history, RULES) is None


def test_mode_collapse_only_after_warmup():
    early = [report(s, classes_covered=1) for s in (250, 500, 750)]
    assert collapse_reason(early, RULES) is None  # reports inside the warm-up do not count
    late = early + [report(1000, classes_covered=2), report(1250, classes_covered=1)]
    assert "mode collapse" in collapse_reason(late, RULES)


def test_low_diversity_collapses():
    history = [report(s, diversity=0.05) for s in (750, 1000, 1250)]
    assert "repeats itself" in collapse_reason(history, RULES)
    history[0]["diversity"] = 0.3
    assert collapse_reason(history, RULES) is None


def test_rules_from_dict_validate():
    assert CollapseRules.from_dict({"patience": 5, "d_acc_max": 1}).patience == 5
    for bad in ({"patience": 0}, {"d_acc_max": 1.5}, {"min_classes": "two"}, {"patience": 2.5}, {"wait": 3}):
        with pytest.raises(RayganError):
            CollapseRules.from_dict(bad)


def test_a_discriminator_that_memorised_the_training_set_collapses_only_when_the_rule_is_on():
    memorised = [report(s, d_acc_train=0.95, d_acc_heldout=0.4) for s in (1000, 2000, 3000)]
    assert collapse_reason(memorised, CollapseRules()) is None  # off by default
    rules = CollapseRules(d_gap_max=0.5)
    reason = collapse_reason(memorised, rules)
    assert reason.startswith("D judges training images real 0.55 more often") and "memorised" in reason
    assert collapse_reason(memorised[:2] + [report(3000, d_acc_train=0.9, d_acc_heldout=0.6)], rules) is None
    assert collapse_reason([report(s) for s in (1000, 2000, 3000)], rules) is None  # not measured: not judged
    with pytest.raises(RayganError, match="d_gap_max"):
        CollapseRules.from_dict({"d_gap_max": 1.5})
