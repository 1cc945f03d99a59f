"""Optuna's constrained TPE in a search with ``constraints:``: each trial's violation reaches Optuna with its value.

Ray's ``OptunaSearch`` asks Optuna for each trial and tells it the trial's value when the
trial completes.  Optuna's TPE (5.0 and newer) splits the trials it learns from by
feasibility first, from the constraint values set on each trial (``Trial.set_constraint``;
a trial is feasible when every value is 0 or less): feasible trials by their value, then
infeasible ones by how far they miss.  Just before the value is told,
:class:`ConstrainedOptunaSearch` sets one constraint on the trial, named after the space's
constraints: the violation of the trial's best report, which the value Tune judges it by
(its best smoothed ranked value, ``fid_smooth_ranked_best``) stands for (:func:`raygan.constraints.violation_of`).
"""
from __future__ import annotations

from ray.tune.search.optuna import OptunaSearch

from raygan.constraints import describe, violation_of


class ConstrainedOptunaSearch(OptunaSearch):
    """Ray's OptunaSearch that sets each trial's violation of ``constraints`` on its Optuna trial before telling it."""

    def __init__(self, constraints: tuple, **settings):
        super().__init__(**settings)
        self.constraint_name = describe(constraints)  # what optuna-dashboard shows: "label_acc >= 0.95"

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        ranked = (result or {}).get(self.metric)
        if ranked is not None and trial_id not in self._completed_trials:  # a trial without it is told as pruned
            self._ot_trials[trial_id].set_constraint(self.constraint_name, violation_of(ranked, self.mode))
        super().on_trial_complete(trial_id, result, error)
