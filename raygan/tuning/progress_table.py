"""The table a search prints while it runs (``--verbose 1``, the default): the columns that matter.

Ray's own table (``--verbose 2``) puts ``iter``, ``total time (s)`` and every searched value
beside the first four numbers of a result, and Ray 2.60's output engine takes no columns from
the caller: it ignores ``RunConfig(progress_reporter=...)`` unless ``RAY_AIR_NEW_OUTPUT=0``
brings back the deprecated ``CLIReporter``, whose table still has a location column and every
searched value.  So at ``--verbose 1`` Tune runs with ``verbose=0`` (no table, no per-trial
lines) and :class:`ProgressTable`, a Tune callback, prints one instead, as soon as the first
results come, then at most every :data:`EVERY_S` seconds while new ones come, and once when
the phase ends (in a notebook, one output redrawn in place: :class:`~raygan.progress.LiveText`)::

    search 1min 05s: 2 RUNNING, 3 TERMINATED, 1 PENDING
    trial     status      kimg  fid   best fid  D acc  classes
    e8c24ac6  RUNNING     48    41.2  38.9      0.71   10
"""
from __future__ import annotations

import time
from collections import Counter

from ray import tune

from raygan.constraints import ranked_key, violation_of
from raygan.progress import LiveText
from raygan.judging import best_key
from raygan.tables import cell, text_table

EVERY_S = 30.0  # between tables, as Ray's own
MAX_ROWS = 20  # trials shown: the running ones, then the best finished ones
LIVE = ("RUNNING", "PAUSED")  # Ray's statuses of trials that still train


class ProgressTable(tune.Callback):
    """Prints ``phase``'s trials: id, Ray's status, kimg, the metric, its best so far, D accuracy, classes.

    Under ``constraints`` (:mod:`raygan.constraints`) the best so far is the best of the reports that met them
    ("-" while none did), each constrained metric's last value follows it, and trials rank by the ranked value.
    """

    def __init__(self, phase: str, metric: str, mode: str, constraints: tuple = (), every_s: float = EVERY_S):
        self.phase, self.metric, self.mode, self.sign = phase, metric, mode, 1 if mode == "min" else -1
        self.constraints = constraints
        self.constrained = [m for m in dict.fromkeys(c.metric for c in constraints) if m != metric]  # own columns
        self.ranked = best_key(ranked_key(metric, constraints))
        self.every_s = every_s
        self.started = time.time()
        self.printed_at = float("-inf")
        self.fresh = False  # a result came since the last table
        self.out = LiveText()

    def setup(self, **info):
        self.started = time.time()

    def on_trial_result(self, iteration, trials, trial, result, **info):
        self.fresh = True

    def on_step_end(self, iteration, trials, **info):
        if self.fresh and time.time() - self.printed_at >= self.every_s:
            self.show(trials)

    def on_experiment_end(self, trials, **info):
        self.show(trials)

    def show(self, trials) -> None:
        self.out.show(self.render(trials))
        self.printed_at, self.fresh = time.time(), False

    def render(self, trials) -> str:
        counts = Counter(trial.status for trial in trials)
        minutes, seconds = divmod(int(time.time() - self.started), 60)
        heading = (f"{self.phase} {f'{minutes}min ' if minutes else ''}{seconds:02d}s: "
                   + ", ".join(f"{n} {status}" for status, n in counts.items()))
        reported = [trial for trial in trials if "kimg" in (trial.last_result or {})]
        live = [trial for trial in reported if trial.status in LIVE]
        done = sorted((trial for trial in reported if trial.status not in LIVE), key=self._rank)
        shown = (live + done)[:MAX_ROWS]
        if not shown:
            return heading
        header = ["trial", "status", "kimg", self.metric, f"best {self.metric}", *self.constrained, "D acc", "classes"]
        lines = [header] + [self._row(trial) for trial in shown]
        more = len(reported) - len(shown)
        return "\n".join([heading, text_table(lines), *([f"({more} more)"] if more else [])])

    def _row(self, trial) -> list[str]:
        result = trial.last_result
        return [trial.trial_id, trial.status, cell(result.get("kimg")), cell(result.get(self.metric)),
                self._best(result), *(cell(result.get(key)) for key in (*self.constrained, "d_acc", "classes_covered"))]

    def _rank(self, trial) -> float:
        best = trial.last_result.get(self.ranked)
        return self.sign * best if isinstance(best, (int, float)) else float("inf")

    def _best(self, result: dict) -> str:
        """The best metric so far: under constraints, the ranked best while a report met them."""
        best = result.get(self.ranked)
        if self.constraints and isinstance(best, (int, float)) and violation_of(best, self.mode) > 0:
            return "-"
        return cell(best)
