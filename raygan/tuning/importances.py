"""Optuna's parameter importances: how much each searched value mattered to the metric."""
from __future__ import annotations

from raygan.records import is_finite_number
from raygan.space import SearchSpace
from raygan.tuning.trial_row import TrialRow

MIN_TRIALS_FOR_IMPORTANCE = 4


def param_importances(rows: list[TrialRow], space: SearchSpace) -> dict[str, float] | str:
    """Optuna's importance of each searched value for the metric (over the search phase's measured
    trials that met the space's constraints, if it has any), or why there is none yet."""
    import optuna

    measured = [row for row in rows if row.phase == "search" and is_finite_number(row.best)
                and row.feasible is not False and all(name in row.config for name in space.params)]
    if len(space.params) < 2:
        return "one searched value: nothing to compare"
    if len(measured) < MIN_TRIALS_FOR_IMPORTANCE:
        return f"needs {MIN_TRIALS_FOR_IMPORTANCE} trials with a measured {space.metric} ({len(measured)} so far)"
    distributions = {name: param.to_optuna() for name, param in space.params.items()}
    study = optuna.create_study(direction="minimize" if space.mode == "min" else "maximize")
    study.add_trials([optuna.trial.create_trial(params={n: row.config[n] for n in space.params},
                                                distributions=distributions, value=row.best)
                      for row in measured])
    try:
        evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
        return optuna.importance.get_param_importances(study, evaluator=evaluator)
    except ImportError:  # fANOVA's random forest needs scikit-learn; PED-ANOVA needs nothing more
        return optuna.importance.get_param_importances(study, evaluator=optuna.importance.PedAnovaImportanceEvaluator())
