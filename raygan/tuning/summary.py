"""What a finished search tells a person: one row per trial, a table, summary.jsonl and plots."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from raygan.plots import sample_grid, save_curves, save_grid, save_metric_by_trial
from raygan.records import write_jsonl
from raygan.space import SearchSpace


@dataclass
class Outcome:
    space: SearchSpace
    experiment_dir: str
    rows: list[dict] = field(default_factory=list)
    best_trial: str | None = None
    best_value: float | None = None
    best_step: int | None = None
    export_metrics: dict | None = None  # the exported generator's metric record (final_num samples)
    export_error: str | None = None

    def table(self) -> str:
        """The summary as an aligned text table, best trial first."""
        names = list(self.space.params)
        num = self.space.budget.quick_num
        header = ["trial", *names, f"best {self.space.metric} ({num} samples)", "at step", "steps", "status"]
        lines = [header] + [[row["trial"], *(_short(row["config"].get(n)) for n in names),
                             _short(row["best"]), str(row["best_step"]), str(row["steps"]), row["status"]]
                            for row in self.rows]
        widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
        return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)) + "  " + line[-1]
                         for line in lines)


def summarize(grid, space: SearchSpace, path: str) -> Outcome:
    """One row per trial, best first: hyper-parameters, best metric and step, status."""
    sign = 1 if space.mode == "min" else -1
    rows = []
    for result in grid:
        frame = result.metrics_dataframe
        row = {"trial": trial_name(result), "config": dict(result.config or {}), "best": float("nan"), "best_step": "-",
               "steps": 0, "status": "", "history": []}
        if frame is not None and space.metric in frame and frame[space.metric].notna().any():
            frame = frame.dropna(subset=[space.metric])
            best = frame.loc[(sign * frame[space.metric]).idxmin()]
            row.update(best=float(best[space.metric]), best_step=int(best["step"]), steps=int(frame["step"].max()),
                       history=frame[["step", space.metric]].values.tolist())
        last = result.metrics or {}
        if result.error:
            row["status"] = f"error: {str(result.error).strip().splitlines()[-1][:100]}"
        elif last.get("collapsed"):
            row["status"] = f"collapsed: {last.get('collapse_reason')}"
        elif row["steps"] < space.budget.max_steps:
            row["status"] = f"stopped by ASHA at step {row['steps']}"
        else:
            row["status"] = "completed"
        rows.append(row)
    rows.sort(key=lambda r: sign * r["best"] if r["best"] == r["best"] else float("inf"))
    outcome = Outcome(space, path, rows)
    if rows and rows[0]["best"] == rows[0]["best"]:
        outcome.best_trial, outcome.best_value, outcome.best_step = rows[0]["trial"], rows[0]["best"], \
            rows[0]["best_step"]
    return outcome


def trial_name(result) -> str:
    """How the summary, the table and an export name a trial: Tune's trial id (its folder's name if none)."""
    return (result.metrics or {}).get("trial_id") or Path(result.path).name


def write_reports(outcome: Outcome, folder: Path, best) -> None:
    """summary.jsonl and the plots, in the local experiment folder; ``best`` from :func:`~raygan.tuning.best.load_best`."""
    folder.mkdir(parents=True, exist_ok=True)
    metric = outcome.space.metric
    write_jsonl(folder / "summary.jsonl", [{k: v for k, v in row.items() if k != "history"} for row in outcome.rows])
    series = {f"{r['trial']}": ([h[0] for h in r["history"]], [h[1] for h in r["history"]])
              for r in outcome.rows if r["history"]}
    if series:
        save_metric_by_trial(series, folder / f"{metric}_by_trial.png", metric)
    if best is None:
        return
    result, generator = best
    save_curves(result.metrics_dataframe.to_dict("records"), folder / "best_curves.png", metric=metric)
    images, per_row = sample_grid(generator)
    save_grid(images, folder / "best_samples.png", nrow=per_row)


def _short(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)
