"""Optuna learns each trial's violation of the space's constraints: the searcher sets it on the Optuna trial before
telling its value, which constrained TPE reads (an in-memory Optuna study, no Ray cluster)."""
import pytest
from ray.tune.search.optuna import OptunaSearch

from raygan.constraints import INFEASIBLE
from raygan.judging import judged_key
from raygan.space import parse_space
from raygan.tuning.constrained_search import ConstrainedOptunaSearch
from raygan.tuning.options import SearchOptions
from raygan.tuning.tuner import _searcher

SPACE = {"model": "cgan", "params": {"lr_g": {"dist": "loguniform", "low": 1.0e-4, "high": 1.0e-3}}}
NAME = "label_acc >= 0.95"


def searcher_for(space, name: str):
    """The search's searcher as Tune sets it up (its metric: the best smoothed ranked value), unwrapped."""
    limiter = _searcher(space, SearchOptions(name=name), concurrent=4, num_samples=8, deadline=None)
    limiter.set_search_properties(judged_key(space.metric, space.constraints), space.mode, space.tune_space())
    return limiter.searcher


def test_each_trial_reaches_optuna_with_its_violation_as_a_constraint(tmp_path):
    space = parse_space({**SPACE, "constraints": {"label_acc": ">= 0.95"}}, "space.yaml")
    searcher = searcher_for(space, "constrained")
    assert type(searcher) is ConstrainedOptunaSearch and searcher.constraint_name == NAME
    results = {"met": {"fid_smooth_ranked_best": 42.0}, "missed": {"fid_smooth_ranked_best": INFEASIBLE + 0.05},
               "unmeasured": {}}  # a trial that never reported its metric: Optuna is told it was pruned
    for trial_id, result in results.items():
        searcher.suggest(trial_id)
        searcher.on_trial_complete(trial_id, result)
    trials = {t.number: t for t in searcher._ot_study.trials}
    assert [t.state.name for t in trials.values()] == ["COMPLETE", "COMPLETE", "PRUNED"]
    # what constrained TPE reads (Trial.constraints): the met trial feasible, the missed one by how far it missed
    assert trials[0].constraints == {NAME: 0.0} and trials[0].value == 42.0
    assert trials[1].constraints == pytest.approx({NAME: 0.05})
    assert trials[2].constraints == {}
    # Tune saves and restores its searcher with the experiment (--resume): the constraint's name comes back too
    searcher.save(str(tmp_path / "searcher.pkl"))
    restored = searcher_for(space, "restored")
    restored.restore(str(tmp_path / "searcher.pkl"))
    assert restored.constraint_name == NAME and len(restored._ot_study.trials) == 3


def test_a_space_without_constraints_keeps_rays_own_searcher():
    searcher = searcher_for(parse_space(SPACE, "space.yaml"), "plain")
    assert type(searcher) is OptunaSearch and searcher.metric == "fid_smooth_best"
