"""What a finished search tells a person: one row per trial, a table, summary.jsonl and plots."""
from __future__ import annotations

import dataclasses
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from raygan.constraints import describe, violation_of
from raygan.errors import RayganError
from raygan.layout import BEST_CURVES, BEST_SAMPLES, PHASES_FILE, SUMMARY_FILE, by_trial_plot
from raygan.plots import sample_grid, save_curves, save_grid, save_metric_by_trial
from raygan.records import read_jsonl, write_jsonl
from raygan.space import SearchSpace
from raygan.tables import cell, text_table
from raygan.tuning.saving import SAVING
from raygan.tuning.time_split import job_split, phase_split, shares, trial_spent
from raygan.tuning.trial_row import Status, TrialRow

FINAL_PHASE = "final run"


@dataclass(frozen=True)
class Phase:
    name: str  # "search" or FINAL_PHASE
    seconds: float  # wall time the driver spent in it
    interrupted: bool = False  # ended by a stop (Ctrl-C, SIGTERM) before its end
    bytes_kept: int | None = None  # the experiment folder's size after it, once what no run needs was pruned
    slots: int = 1  # the most trials it ran at once
    split: dict | None = None  # its trial-seconds by part (raygan.tuning.time_split), from its trials' reports


@dataclass
class Outcome:
    space: SearchSpace
    experiment_dir: str
    rows: list[TrialRow] = field(default_factory=list)
    phases: list[Phase] = field(default_factory=list)
    best_trial: str | None = None
    best_value: float | None = None
    best_kimg: float | None = None
    export_metrics: dict | None = None  # the exported generator's metric record (final_num samples)
    export_error: str | None = None
    resources: str | None = None  # what each trial asked for and how many ran at once (resources.describe)
    grids: list = field(default_factory=list)  # Tune's ResultGrid of each phase the rows come from
    job_seconds: float | None = None  # the whole job's wall time, data loading to export (set by its caller)

    def table(self) -> str:
        """The summary as an aligned text table, best trial first."""
        return text_table(self.cells())

    def cells(self) -> list[list[str]]:
        """The summary's header and rows as strings, best trial first (for the text and HTML tables).

        Under constraints, each constrained metric at the trial's best report and whether that report met them
        all (``feasible``) follow its best metric."""
        names = list(self.space.params)
        num = self.space.budget.quick_num
        lineage = any(row.lineage for row in self.rows)
        constraints = self.space.constraints
        header = ["trial", *names, f"best {self.space.metric} ({num} samples)",
                  *([*map(str, constraints), "feasible"] if constraints else []), "at kimg", "kimg",
                  *(["continued from"] if lineage else []), "status"]
        lines = [header] + [[row.trial, *(cell(row.config.get(n)) for n in names), cell(row.best),
                             *self._constraint_cells(row), cell(row.best_kimg), cell(row.kimg),
                             *([row.lineage or "-"] if lineage else []), row.status_text]
                            for row in self.rows]
        return lines

    def _constraint_cells(self, row: TrialRow) -> list[str]:
        """Under constraints: each constrained metric at ``row``'s best report, and whether that report met them."""
        if not self.space.constraints:
            return []
        return [*(cell(row.constrained.get(c.metric)) for c in self.space.constraints),
                {True: "yes", False: "no"}.get(row.feasible, "-")]

    def constraint_lines(self) -> list[str]:
        """Under constraints: what they are and how many trials met them, then, when none did, a warning that the
        best trial (whose generator the export is, or continues) is the one that missed them least."""
        constraints = self.space.constraints
        if not constraints:
            return []
        measured = [row for row in self.rows if row.feasible is not None]
        lines = [f"constraints: {describe(constraints)}; {sum(row.feasible for row in measured)} of "
                 f"{len(measured)} measured trial(s) met them at their best report (the rest rank last)"]
        best = self.rows[0] if self.rows else None  # best first: feasible ones, then the measured, then the rest
        if best is not None and best.feasible is False:
            values = ", ".join(f"{name} {cell(value)}" for name, value in best.constrained.items())
            lines.append(f"warning: no trial met {describe(constraints)}; the best generator is "
                         f"trial {best.trial}'s, which missed them least ({values} at {cell(best.best_kimg)} kimg): "
                         "loosen the constraints or search longer")
        return lines

    def budget_lines(self) -> list[str]:
        """How the search spent its time, images and storage, one line per phase: what its reports wrote to
        storage and the seconds they spent saving it, and the experiment folder's size after the phase."""
        lines = []
        for phase in self.phases:
            rows = [row for row in self.rows if row.phase == phase.name]
            counts = Counter(row.status for row in rows)
            reports, save_s = sum(row.reports for row in rows), sum(row.save_s for row in rows)
            storage = "" if not reports else (  # a summary from before raygan counted reports: nothing to say
                f"; storage: {megabytes(sum(row.saved_bytes for row in rows))} written in {save_s:.1f} s of saving "
                f"({save_s / reports:.2f} s per report)")
            if phase.bytes_kept is not None:
                storage += f", {megabytes(phase.bytes_kept)} kept"
            lines.append(f"{phase.name}: {phase.seconds / 60:.1f} min, {len(rows)} trial(s) "
                         f"({', '.join(f'{n} {status.value}' for status, n in counts.items())}), "
                         f"{sum(row.kimg_trained for row in rows):,.0f} kimg trained, "
                         f"{sum(row.seconds for row in rows) / 60:.1f} trial-minutes{storage}")
            if phase.split:
                lines.append(f"{phase.name} time, {phase.slots} slot(s) x {phase.seconds / 60:.1f} min: "
                             f"{shares(phase.split)}")
        return lines

    def job_line(self) -> str | None:
        """The whole job's time split (the phases' trial-slots and the driver's own time), when it was timed."""
        if self.job_seconds is None or not any(phase.split for phase in self.phases):
            return None
        return f"job: {self.job_seconds / 60:.1f} min: {shares(job_split(self.phases, self.job_seconds))}"


def megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def summarize(grids: list, space: SearchSpace, path: str, phases: list[Phase] = ()) -> Outcome:
    """One row per trial of every phase's result grid, best first: hyper-parameters, best metric
    and where it was reached, how far the trial trained, where its weights came from, status.

    Under constraints, "best" goes by the ranked value (:mod:`raygan.constraints`): a trial's best report is its
    best feasible one, else the one that missed them least, and the trials that met them come first."""
    sign = 1 if space.mode == "min" else -1
    rows = []
    for phase, grid in zip(phases or [Phase("search", 0.0)], grids):
        for result in grid:
            rows.append(_row(result, space, phase, sign))
    rows.sort(key=lambda r: (r.violation or 0.0, sign * r.best) if r.best == r.best else (math.inf, math.inf))
    phases = [dataclasses.replace(phase, split=phase_split([r.spent for r in rows if r.phase == phase.name],
                                                           phase.seconds, phase.slots))
              if math.isfinite(phase.seconds) else phase for phase in phases]
    outcome = Outcome(space, path, rows, phases, grids=list(grids))
    if rows and rows[0].best == rows[0].best:
        outcome.best_trial, outcome.best_value, outcome.best_kimg = rows[0].trial, rows[0].best, rows[0].best_kimg
    return outcome


def _row(result, space: SearchSpace, phase: Phase, sign: int) -> TrialRow:
    frame = result.metrics_dataframe
    # The trial's own last report: under PBT, Tune's ``result.metrics`` can be a donor's, when the
    # trial copied a checkpoint with nothing left to train after it.
    last = frame.iloc[-1].to_dict() if frame is not None and len(frame) else (result.metrics or {})
    trained = kimg_trained(frame.to_dict("records")) if frame is not None and "kimg" in frame else 0.0
    best, best_kimg, kimg, history, best_report = float("nan"), "-", 0.0, [], {}
    violation, constrained = None, {}
    if frame is not None and space.ranked in frame and frame[space.ranked].notna().any():
        measured = frame.dropna(subset=[space.ranked])
        top = measured.loc[(sign * measured[space.ranked]).idxmin()]
        best, best_kimg, kimg = float(top[space.metric]), float(top["kimg"]), float(measured["kimg"].max())
        history = measured[["kimg", space.metric]].values.tolist()
        best_report = {key: value for key, value in top.to_dict().items() if not key.startswith("config/")}
        if space.constraints:
            violation = violation_of(float(top[space.ranked]), space.mode)
            constrained = {c.metric: float(top[c.metric]) for c in space.constraints if c.metric in top}
    # a final run ends at its end unless stopped: it has no scheduler, and out_of_time marks its deadline
    reached_end = not phase.interrupted if phase.name == FINAL_PHASE else kimg >= space.budget.max_kimg
    status, detail = trial_status(last, result.error, reached_end, phase.interrupted)
    saved = {key: float(frame[f"{SAVING}/{key}"].sum()) if frame is not None and f"{SAVING}/{key}" in frame else 0.0
             for key in ("bytes", "seconds")}
    return TrialRow(trial=trial_name(result), phase=phase.name, config=dict(result.config or {}), best=best,
                    best_kimg=best_kimg, kimg=kimg, kimg_trained=trained, seconds=float(last.get("time_total_s", 0.0)),
                    lineage=last.get("lineage", ""), status=status, detail=detail,
                    reports=0 if frame is None else len(frame), saved_bytes=int(saved["bytes"]),
                    save_s=saved["seconds"], spent=trial_spent(frame), violation=violation, constrained=constrained,
                    history=history, best_report=best_report, result=result)


def trial_status(last: dict, error, reached_end: bool, interrupted: bool = False) -> tuple[Status, str]:
    """How a trial ended, and the detail (:class:`~raygan.tuning.trial_row.Status`), from its last
    report ``last`` as Tune recorded it, Tune's ``error``, whether it trained to its end, and
    whether a stop (Ctrl-C, SIGTERM) ended its phase.

    Who stopped a trial short of its end is what Tune recorded when it stopped it: Tune marks
    ``done`` the report at which the scheduler answered STOP, and writes that report to the
    trial's result.json, so a resumed or rebuilt search still knows.  Of raygan's schedulers
    only ASHA stops trials (PBT and PB2 pause and exploit them, the final run has none, and
    ASHA's STOP at ``max_kimg`` is a completed trial).  The time budget cuts trials without
    marking a report: the run loop's last report says ``out_of_time``, or Tune's
    ``time_budget_s`` ended the experiment around the trial; a stop ends it the same way.
    """
    if error:
        return Status.ERROR, str(error).strip().splitlines()[-1][:100]
    if last.get("collapsed"):
        return Status.COLLAPSED, str(last.get("collapse_reason"))
    if "kimg" not in last:
        return Status.NO_REPORT, ""
    if last.get("out_of_time"):
        return Status.OUT_OF_TIME, ""
    if reached_end:
        return Status.COMPLETED, ""
    if last.get("done"):
        return Status.STOPPED_BY_ASHA, ""
    return Status.INTERRUPTED if interrupted else Status.STOPPED_BY_TIME_BUDGET, ""


def kimg_trained(reports: list[dict]) -> float:
    """The kimg a trial trained itself: its reports' progress, each segment counted from where the
    trial's weights came from (a checkpoint of another trial, see ``lineage``, or 0)."""
    total, at, lineage = 0.0, None, None
    for report in reports:
        if report.get("lineage", "") != lineage or at is None:
            lineage = report.get("lineage", "")
            at = float(lineage.rsplit("@", 1)[1]) if lineage else 0.0
        total += max(0.0, report["kimg"] - at)
        at = report["kimg"]
    return total


def trial_name(result) -> str:
    """How the summary, the table and an export name a trial: Tune's trial id (its folder's name if none)."""
    return (result.metrics or {}).get("trial_id") or Path(result.path).name


def write_reports(outcome: Outcome, folder: Path, best) -> None:
    """summary.jsonl, phases.jsonl and the plots in the local experiment folder (``best``: from
    :func:`~raygan.tuning.best.load_best`)."""
    folder.mkdir(parents=True, exist_ok=True)
    metric = outcome.space.metric
    write_jsonl(folder / SUMMARY_FILE, [row.to_record() for row in outcome.rows])
    if outcome.phases:
        write_jsonl(folder / PHASES_FILE, [dataclasses.asdict(phase) for phase in outcome.phases])
    series = {r.trial: ([h[0] for h in r.history], [h[1] for h in r.history]) for r in outcome.rows if r.history}
    if series:
        save_metric_by_trial(series, folder / by_trial_plot(metric), metric)
    if best is None:
        return
    result, generator, _ = best
    save_curves(result.metrics_dataframe.to_dict("records"), folder / BEST_CURVES, metric=metric)
    images, per_row = sample_grid(generator)
    save_grid(images, folder / BEST_SAMPLES, nrow=per_row)



def read_summary(folder: Path) -> list[TrialRow]:
    """The rows of ``folder``'s summary.jsonl, as :func:`write_reports` wrote them."""
    path = folder / SUMMARY_FILE
    try:
        return [TrialRow.from_record(record) for record in read_jsonl(path)]
    except (ValueError, KeyError, TypeError) as err:
        raise RayganError(f"{path} is not a summary raygan wrote ({err}); delete it and run "
                          f"python -m raygan.report {folder} to rebuild it from Tune's records") from None
