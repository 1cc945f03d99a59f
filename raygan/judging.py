"""How a run's reports are judged: the best value so far, and the smoothed value a search judges a trial by.

Every report carries the tracked metric on ``quick_num`` samples (2,000), whose standard
error is several FID points (``fid_se``), and the best of a noisy series is biased low: a
trial whose one report drew a lucky sample set looks better than it is.  So each report also
carries the metric's moving average over the run's last :data:`SMOOTHED_REPORTS` measured
reports (``fid_smooth``: the run's current level, its noise shrunk by about the square root
of 3), and the best of those so far (``fid_smooth_best``), which is what ASHA and Optuna judge
a trial by (:func:`judged_key`).  The raw best so far (``fid_best``) stays beside it: it is
what the progress table shows and what each trial's kept checkpoints and best generator go by
(their candidates are measured again on ``final_num`` samples before anything is exported:
:mod:`raygan.candidates`).  Under a search's constraints each of these is of the ranked value
(``fid_smooth_ranked_best``: :mod:`raygan.constraints`), so feasible reports still rank first.
"""
from __future__ import annotations

from raygan.constraints import ranked_key
from raygan.records import is_finite_number

SMOOTHED_REPORTS = 3  # reports in the moving average a search judges a trial by


def best_key(metric: str) -> str:
    """The report key of the best ``metric`` so far."""
    return f"{metric}_best"


def smoothed_key(metric: str) -> str:
    """The report key of ``metric``'s moving average over the last :data:`SMOOTHED_REPORTS` measured reports."""
    return f"{metric}_smooth"


def judged_key(metric: str, constraints: tuple = ()) -> str:
    """The report key ASHA and Optuna judge a trial by: the best smoothed (and under constraints ranked) value."""
    return best_key(ranked_key(smoothed_key(metric), constraints))


def moving_average(history: list[dict], key: str, window: int = SMOOTHED_REPORTS) -> float | None:
    """The mean of ``key`` over the last ``window`` reports of ``history`` that hold a finite value of it, if the
    last report does (else None: the run's current level is unknown)."""
    if not history or not is_finite_number(history[-1].get(key)):
        return None
    values = [report[key] for report in history if is_finite_number(report.get(key))][-window:]
    return sum(values) / len(values)


def is_new_best(history: list[dict], metric: str, mode: str) -> bool:
    """Whether the last report's ``metric`` beats every earlier one (ties are not new)."""
    *earlier, last = [r.get(metric) for r in history]
    return is_finite_number(last) and all(improves(last, v, mode) for v in earlier if is_finite_number(v))


def improves(value, best, mode: str) -> bool:
    """Whether ``value`` is finite and beats ``best`` (None: nothing yet) under ``mode`` (ties do not)."""
    if not is_finite_number(value):
        return False
    return best is None or (value < best if mode == "min" else value > best)


def best_so_far(history: list[dict], key: str, mode: str):
    """The best finite ``key`` of ``history``'s reports, carried forward: the value the last report's
    ``best_key(key)`` holds (None while no report has one)."""
    values = [report[key] for report in history if is_finite_number(report.get(key))]
    if not values:
        return None
    return min(values) if mode == "min" else max(values)
