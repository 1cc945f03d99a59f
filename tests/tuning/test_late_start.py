"""The searcher stops proposing trials that could not report before the search phase's deadline."""
from ray.tune.search import Searcher

import raygan.tuning.late_start as late_start
from raygan.tuning.late_start import DeadlineLimiter, too_late


class Counting(Searcher):
    """A searcher that proposes numbered configurations forever."""

    def __init__(self):
        super().__init__(metric="fid_best", mode="min")
        self.proposed = 0

    def suggest(self, trial_id):
        self.proposed += 1
        return {"n": self.proposed}

    def on_trial_complete(self, trial_id, result=None, error=False):
        pass


def test_too_late_judges_by_the_median_time_to_a_first_report():
    assert not too_late(100.0, None, [10.0])  # no deadline
    assert not too_late(100.0, 101.0, [])  # nothing seen yet: always propose
    assert too_late(100.0, 120.0, [10.0, 30.0, 25.0])  # median 25 s > 20 s left
    assert not too_late(100.0, 130.0, [10.0, 30.0, 25.0])


def test_limiter_learns_the_first_report_time_and_then_finishes(monkeypatch):
    clock = {"now": 0.0}
    monkeypatch.setattr(late_start.time, "time", lambda: clock["now"])
    limiter = DeadlineLimiter(Counting(), max_concurrent=2, deadline=100.0)
    assert limiter.suggest("a") == {"n": 1} and limiter.suggest("b") == {"n": 2}
    assert limiter.suggest("c") is None  # two running: the concurrency limit still holds
    clock["now"] = 30.0
    limiter.on_trial_result("a", {"fid_best": 300.0})  # 30 s from proposal to first report
    limiter.on_trial_result("a", {"fid_best": 200.0})  # later reports do not count
    limiter.on_trial_complete("a", {"fid_best": 200.0})
    clock["now"] = 65.0
    assert limiter.suggest("c") == {"n": 3}  # 35 s left > 30 s
    # a trial stopped at its first report (an ASHA rung) is only completed, never given the result
    limiter.on_trial_complete("b", {"fid_best": 250.0, "kimg": 32.0})  # 65 s: the median is now 47.5 s
    assert limiter.first_report_s == [30.0, 65.0]
    assert limiter.suggest("d") == Searcher.FINISHED
    assert limiter.searcher.proposed == 3
    limiter.on_trial_complete("c", None, error=True)  # failed before reporting: nothing learnt
    assert limiter.first_report_s == [30.0, 65.0] and limiter.proposed_at == {}
