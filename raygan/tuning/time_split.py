"""Where a search's time went: each phase's trial-slot time split into what the trials did with it.

Every report says how long its trial spent, since the report before, training (``train_s``),
measuring (``metrics_s``: the quick metrics and D's accuracies on real images), drawing its
sample grid and TensorBoard events (``grids_s``) and saving (``saving``'s ``seconds``: best
generator, checkpoint, storage sync).  Tune's ``time_total_s`` is the trial's own running
time, so what it holds beyond those is the trial's ``start-up`` (data from the object store,
building the nets, restoring a checkpoint) and Tune's handling of its reports.

A phase of ``seconds`` with up to ``slots`` trials at once offers ``seconds x slots``
trial-seconds; what no trial's running time covers is ``idle``: worker processes starting
(their imports), trials waiting to be scheduled, slots left empty at a phase's end.  The
whole job adds the driver's own time outside the phases (loading the data and evaluator,
starting Ray, the reports and the export) as ``driver``, on one slot.
"""
from __future__ import annotations

from raygan.tuning.saving import SAVING

PARTS = ("training", "metrics", "grids", "saving", "start-up", "idle")
_REPORT_KEYS = {"training": "train_s", "metrics": "metrics_s", "grids": "grids_s", "saving": f"{SAVING}/seconds"}


def trial_spent(frame) -> dict[str, float]:
    """A trial's seconds per part (no ``idle``) from Tune's dataframe of its reports (empty without reports)."""
    if frame is None or not len(frame):
        return {}
    spent = {part: float(frame[key].sum()) if key in frame else 0.0 for part, key in _REPORT_KEYS.items()}
    total = float(frame["time_total_s"].iloc[-1]) if "time_total_s" in frame else sum(spent.values())
    spent["start-up"] = max(0.0, total - sum(spent.values()))
    return spent


def phase_split(spent: list[dict], seconds: float, slots: int) -> dict[str, float]:
    """A phase's trial-seconds (``seconds x slots``) per part, from its trials' :func:`trial_spent`."""
    split = {part: sum(s.get(part, 0.0) for s in spent) for part in PARTS[:-1]}
    split["idle"] = max(0.0, seconds * slots - sum(split.values()))
    return split


def job_split(phases, seconds: float) -> dict[str, float]:
    """The whole job's trial-seconds per part: its phases' splits, and the driver's time outside them."""
    split = {part: sum((phase.split or {}).get(part, 0.0) for phase in phases) for part in PARTS}
    split["driver"] = max(0.0, seconds - sum(phase.seconds for phase in phases))
    return split


def shares(split: dict[str, float]) -> str:
    """``training 81%, metrics 6%, ...``: each part's share of the split's total, in ``split``'s order."""
    total = sum(split.values()) or 1.0
    return ", ".join(f"{part} {value / total:.0%}" for part, value in split.items())
