"""Stop proposing trials that cannot report before the search phase's deadline.

A trial that starts in the last minute of a time-bounded search pays its worker's start-up
and trains, but is cut before its first report: nothing is measured, so its time is lost
(4 of 13 trials in the first 15-minute benchmarks, bench/RESULTS.md).  The limiter learns
how long a trial takes from being proposed to its first report (the median of those seen so
far) and, once less than that is left, tells Tune the search is finished; the running
trials still train to their last report before the deadline.
"""
from __future__ import annotations

import statistics
import time

from ray.tune.search import ConcurrencyLimiter, Searcher


def too_late(now: float, deadline: float | None, first_report_s: list[float]) -> bool:
    """Whether a trial proposed at ``now`` would miss its first report (never before one is seen)."""
    if deadline is None or not first_report_s:
        return False
    return now + statistics.median(first_report_s) > deadline


class DeadlineLimiter(ConcurrencyLimiter):
    """Tune's :class:`ConcurrencyLimiter` that also ends the search when a new trial would be too late."""

    def __init__(self, searcher: Searcher, max_concurrent: int, deadline: float | None):
        super().__init__(searcher, max_concurrent=max_concurrent)
        self.deadline = deadline
        self.proposed_at: dict[str, float] = {}
        self.first_report_s: list[float] = []

    def suggest(self, trial_id: str):
        if too_late(time.time(), self.deadline, self.first_report_s):
            return Searcher.FINISHED
        suggestion = super().suggest(trial_id)
        if suggestion not in (None, Searcher.FINISHED):
            self.proposed_at[trial_id] = time.time()
        return suggestion

    def on_trial_result(self, trial_id: str, result: dict) -> None:
        self._reported(trial_id)
        super().on_trial_result(trial_id, result)

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        """Tune passes a result that stops its trial (an ASHA rung, ``max_kimg``) only here."""
        if result and not error and "kimg" in result:
            self._reported(trial_id)
        self.proposed_at.pop(trial_id, None)
        super().on_trial_complete(trial_id, result, error)

    def _reported(self, trial_id: str) -> None:
        proposed = self.proposed_at.pop(trial_id, None)
        if proposed is not None:  # the trial's first report
            self.first_report_s.append(time.time() - proposed)
