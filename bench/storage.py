"""``python -m bench.storage runs/NAME``: what a finished search keeps in storage, what it wrote there, and how
long its reports spent saving.

For the experiment folder (a local folder, or ``s3://bucket/path`` through pyarrow, as Ray reaches it):

- **kept**: its bytes, by kind: checkpoints (``checkpoint_*`` folders), best generators, the trials' grids and
  TensorBoard events, Tune's records, the search's own reports (summary, plots, page);
- **written**, per phase: the trials, their reports, the checkpoints among them, the bytes the reports wrote
  to storage and the seconds they spent saving (in all, and per report: mean and most), from each report's
  ``saving`` record (:mod:`raygan.tuning.saving`).  A search run by a raygan from before that record is
  estimated instead, and marked so: each checkpoint at the mean size of the checkpoints the experiment still
  holds, plus the trial's grids and events as Ray copied them (its whole folder at every report); no seconds.

Run it after a search, e.g. 15-minute ``gan`` and ``dcgan`` searches on the old and the new code::

    python -m raygan.search --space gan --time-budget 15m --data-dir ../shared/data/mnist --name gan-15m
    python -m bench.storage runs/gan-15m --json bench/storage.jsonl
"""
from __future__ import annotations

import json
import os
import posixpath
from collections import defaultdict
from statistics import mean

import pyarrow.fs

from bench.record import describe, measure_and_publish
from raygan.cli import Parser
from raygan.errors import RayganError
from raygan.layout import BEST_GENERATOR, FINAL_NAME, SAMPLES_DIR, TENSORBOARD_DIR
from raygan.tuning.pruning import CHECKPOINT_PREFIX
from raygan.tuning.saving import SAVING
from raygan.tuning.storage import file_sizes
from raygan.tuning.summary import FINAL_PHASE

PROG = "bench.storage"
RESULTS = "result.json"  # Tune's records of a trial's reports, one JSON object a line
KINDS = ("checkpoints", "best generators", "grids and events", "Tune's records", "reports")


def build_parser() -> Parser:
    parser = Parser(prog=f"python -m {PROG}", description=__doc__.splitlines()[0])
    parser.add_argument("experiment", help="a finished search's folder (runs/NAME) or s3://bucket/path/NAME")
    parser.add_argument("--json", default=None, help="append the result to this JSONL file")
    return parser


def kind(path: str, trials: set[str]) -> str:
    """Which of :data:`KINDS` the file at ``path`` (relative to the experiment) is; ``trials``: the trial folders."""
    parts = path.split("/")
    if any(part.startswith(CHECKPOINT_PREFIX) for part in parts[:-1]):
        return "checkpoints"
    if parts[-1] == BEST_GENERATOR:
        return "best generators"
    if SAMPLES_DIR in parts[:-1] or TENSORBOARD_DIR in parts[:-1]:
        return "grids and events"
    if posixpath.dirname(path) in trials or (parts[-1].endswith((".pkl", ".json")) and path != "search.json"):
        return "Tune's records"  # a trial's results, the experiment's state and searcher
    return "reports"


def reports_of(filesystem, path: str) -> list[dict]:
    with filesystem.open_input_stream(path) as stream:
        return [json.loads(line) for line in stream.read().decode().splitlines() if line.strip()]


def trial_written(reports: list[dict], trial: str, sizes: dict[str, int], checkpoint_bytes: float | None) -> dict:
    """What one trial's reports wrote and the seconds they spent saving (estimated without ``saving`` records)."""
    checkpoints = sum(1 for report in reports if report.get("checkpoint_dir_name"))
    if all(SAVING in report for report in reports):
        seconds = [report[SAVING]["seconds"] for report in reports]
        return {"reports": len(reports), "checkpoints": checkpoints, "estimated": False,
                "bytes_written": sum(report[SAVING]["bytes"] for report in reports), "seconds": seconds}
    # before the record: Ray copied the trial's whole working folder at every report (grids so far, events so
    # far: about k/n of the last file at report k of n), and each checkpoint whole
    grids = [size for path, size in sorted(sizes.items()) if path.startswith(f"{trial}/{SAMPLES_DIR}/")]
    events = sum(size for path, size in sizes.items() if path.startswith(f"{trial}/{TENSORBOARD_DIR}/"))
    n = len(reports)
    artifacts = sum(sum(grids[:k]) + events * k / n for k in range(1, n + 1))
    return {"reports": n, "checkpoints": checkpoints, "estimated": True, "seconds": [],
            "bytes_written": round(artifacts + checkpoints * (checkpoint_bytes or 0))}


def measure(experiment: str) -> dict:
    uri = experiment if "://" in experiment else os.path.abspath(experiment)
    filesystem, root = pyarrow.fs.FileSystem.from_uri(uri)
    sizes = file_sizes(filesystem, root)
    if not sizes:
        raise RayganError(f"{experiment} holds no files; pass a search's experiment folder (runs/NAME)")
    trials = {posixpath.dirname(path) for path in sizes if posixpath.basename(path) == RESULTS}
    kept, checkpoint_folders = defaultdict(int), defaultdict(int)
    for path, size in sizes.items():
        what = kind(path, trials)
        kept[what] += size
        if what == "checkpoints":
            checkpoint_folders[posixpath.dirname(path)] += size
    best_generators = [size for path, size in sizes.items() if posixpath.basename(path) == BEST_GENERATOR]
    checkpoint_bytes = mean(checkpoint_folders.values()) if checkpoint_folders else None
    phases = defaultdict(list)
    for trial in sorted(trials):
        phase = FINAL_PHASE if trial.startswith(f"{FINAL_NAME}/") else "search"
        reports = reports_of(filesystem, f"{root}/{trial}/{RESULTS}")
        phases[phase].append(trial_written(reports, trial, sizes, checkpoint_bytes))
    return {"experiment": experiment, "bytes_kept": sum(sizes.values()), "kept": {k: kept[k] for k in KINDS},
            "checkpoint_mean_bytes": checkpoint_bytes, "checkpoints_kept": len(checkpoint_folders),
            "best_generator_mean_bytes": mean(best_generators) if best_generators else None,
            "phases": [summed(name, phases[name]) for name in ("search", FINAL_PHASE) if name in phases]}


def summed(name: str, trials: list[dict]) -> dict:
    seconds = [s for trial in trials for s in trial["seconds"]]
    estimated = any(trial["estimated"] for trial in trials)
    return {"name": name, "trials": len(trials), "reports": sum(t["reports"] for t in trials),
            "checkpoints": sum(t["checkpoints"] for t in trials), "estimated": estimated,
            "bytes_written": sum(t["bytes_written"] for t in trials),
            "save_s": None if estimated else sum(seconds),
            "save_s_mean": None if estimated or not seconds else mean(seconds),
            "save_s_max": None if estimated or not seconds else max(seconds)}


def format_table(result: dict) -> str:
    def mb(size) -> str:
        return "-" if size is None else f"{size / 1e6:,.1f} MB"

    def s(value) -> str:
        return "-" if value is None else f"{value:.2f}"

    kept = ", ".join(f"{k} {mb(v)}" for k, v in result["kept"].items())
    lines = [f"{result['experiment']}: {mb(result['bytes_kept'])} kept ({kept}); {describe(result)}",
             f"kept files: {result['checkpoints_kept']} checkpoint(s) of {mb(result['checkpoint_mean_bytes'])} on "
             f"average, best generators of {mb(result['best_generator_mean_bytes'])}",
             "| phase | trials | reports | checkpoints | written | saving (s) | per report (s, mean / most) |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for phase in result["phases"]:
        written = mb(phase["bytes_written"]) + (" (estimated)" if phase["estimated"] else "")
        lines.append(f"| {phase['name']} | {phase['trials']} | {phase['reports']} | {phase['checkpoints']} | "
                     f"{written} | {s(phase['save_s'])} | {s(phase['save_s_mean'])} / {s(phase['save_s_max'])} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    measure_and_publish(PROG, lambda: measure(args.experiment), format_table, args.json)


if __name__ == "__main__":
    main()
