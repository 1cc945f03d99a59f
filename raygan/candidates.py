"""A run's best generator chosen without luck: its best few reports measured again on ``final_num`` samples.

Every report measures the tracked metric on ``quick_num`` samples (2,000), where FID's
standard error is several points, and the best of a run's many reports is biased low: the
"best" report is often the luckiest draw rather than the best generator (a 15-minute DCGAN's
best report by 2,000-sample fid scored 23.0 on 10,000 samples where its last generator scored
19.9).  So a run keeps the generators of its ``CANDIDATES`` best reports by that quick value
(``candidates/kimg_NNNNNNNNN.safetensors``, named as the sample grids are) and, at its end,
measures each again on ``final_num`` samples drawn from the same seeded noise as the last
generator's final measurement (a paired comparison): the best of these and the last
generator is the run's best generator.  What was compared is kept as ``best_choice``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from raygan.records import is_finite_number

CANDIDATES = 3  # reports re-measured at the end, beside the last generator
LAST = "last"  # a choice row's source: the last generator (else "candidate")


def top_reports(history: list[dict], metric: str, mode: str, keep: int = CANDIDATES) -> list[dict]:
    """The ``keep`` reports of ``history`` with the best finite ``metric``, best first (the earlier of a tie)."""
    measured = [(i, report) for i, report in enumerate(history) if is_finite_number(report.get(metric))]
    sign = 1 if mode == "min" else -1
    measured.sort(key=lambda pair: (sign * pair[1][metric], pair[0]))
    return [report for _, report in measured[:keep]]


def candidate_name(kimg: float) -> str:
    """The file name of the candidate generator of the report at ``kimg`` (images shown to D, zero-padded, as the
    grids are)."""
    return f"kimg_{round(kimg * 1000):09d}.safetensors"


def candidate_file(folder: Path, kimg: float) -> Path:
    return Path(folder) / candidate_name(kimg)


def wanted_candidates(history: list[dict], metric: str, mode: str, last: bool = False) -> set[str]:
    """The candidate file names to keep after the last report of ``history``: its best reports', and with ``last``
    the last report's too (a search's final run: its export is chosen from its files alone)."""
    names = {candidate_name(report["kimg"]) for report in top_reports(history, metric, mode)}
    return (names | {candidate_name(history[-1]["kimg"])}) if last else names


def keep_candidates(folder: Path, history: list[dict], metric: str, mode: str, write) -> None:
    """After a report (the last of ``history``): ``write(path)`` its generator if it is among the best reports,
    and delete the files of those that no longer are."""
    folder = Path(folder)
    wanted = {folder / name for name in wanted_candidates(history, metric, mode)}
    own = candidate_file(folder, history[-1]["kimg"])
    if own in wanted:
        folder.mkdir(parents=True, exist_ok=True)
        write(own)
    for path in folder.glob("kimg_*.safetensors") if folder.is_dir() else ():
        if path not in wanted:
            path.unlink(missing_ok=True)


@dataclass(frozen=True)
class Choice:
    """The candidates and the last generator, each with its quick and its ``final_num`` value; ``rows[0]`` won."""

    metric: str
    num_samples: int
    # {"source", "kimg", "quick", "final"}, the chosen first; source: a run's "candidate" or "last", a search's
    # "search" (the continued trial's best) or "final run" (raygan.tuning.best.choose_export)
    rows: list[dict]

    @property
    def chosen(self) -> dict:
        return self.rows[0]

    def record(self) -> dict:
        """``best_choice`` for the final metric record."""
        return {"metric": self.metric, "num_samples": self.num_samples, "rows": self.rows}

    def line(self) -> str:
        """``best generator: the last (1,056 kimg), fid 19.9 on 10,000 samples; also measured: 896 kimg 23.0 ...``"""
        chosen = self.chosen
        what = "the last generator" if chosen["source"] == LAST else "the report"
        others = ", ".join(f"{row['kimg']:g} kimg {row['final']:.3g}" for row in self.rows[1:])
        quick = f" (quick {chosen['quick']:.3g})" if is_finite_number(chosen.get("quick")) else ""
        return (f"best generator: {what} at {chosen['kimg']:g} kimg, {self.metric} {chosen['final']:.3g} on "
                f"{self.num_samples:,} samples{quick}" + (f"; the others re-measured: {others}" if others else ""))


def choose(rows: list[dict], measure, metric: str, mode: str, num_samples: int) -> Choice:
    """Measure every row without a ``final`` value (``measure(row)``: the metric on ``num_samples``) and order
    them best first; a row already measured (the last generator's final record) is not measured again."""
    measured = [{**row, "final": row["final"] if "final" in row else measure(row)} for row in rows]
    usable = [row for row in measured if is_finite_number(row["final"])]
    rest = [row for row in measured if row not in usable]
    usable.sort(key=lambda row: row["final"] if mode == "min" else -row["final"])  # stable: ties keep the order
    return Choice(metric, num_samples, usable + rest)
