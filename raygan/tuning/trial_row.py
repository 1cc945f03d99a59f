"""One trial's row of a search's summary: a typed record, and how it ended as a :class:`Status`.

``summary.jsonl`` holds one :meth:`TrialRow.to_record` per line, with the status written as
the text the table prints ("stopped by ASHA at 64 kimg", "collapsed: ...") so that the file
reads on its own; :meth:`TrialRow.from_record` reads that text back into the status and its
detail (``python -m raygan.report`` rebuilds the page from the file).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields


class Status(enum.Enum):
    """How a trial ended; the value names it in the table and in the budget's breakdown."""

    COMPLETED = "completed"  # trained to max_kimg (a final run: to its end)
    STOPPED_BY_ASHA = "stopped by ASHA"
    OUT_OF_TIME = "time budget"  # it ended itself: its next report would have come after the deadline
    STOPPED_BY_TIME_BUDGET = "stopped by the time budget"  # ended short of max_kimg, and not by ASHA
    COLLAPSED = "collapsed"  # detail: the collapse rule that fired
    ERROR = "error"  # detail: the last line of the error
    NO_REPORT = "stopped before its first report"
    INTERRUPTED = "interrupted"  # still training when a stop (Ctrl-C, SIGTERM) ended the search


_AT_KIMG = (Status.STOPPED_BY_ASHA, Status.OUT_OF_TIME, Status.STOPPED_BY_TIME_BUDGET,  # written with where it ended
            Status.INTERRUPTED)
_WITH_DETAIL = (Status.COLLAPSED, Status.ERROR)
_NOT_WRITTEN = ("detail", "history", "best_report", "result")  # the detail is part of the status's text
_CONSTRAINED = ("violation", "constrained")  # written only where the space has constraints and the trial measured


@dataclass
class TrialRow:
    """A trial's hyper-parameters, best metric and where it was reached, how far it trained, where
    its weights came from and how it ended.

    Under the space's constraints its best report is the best by the ranked value (the best feasible one, else
    the one that missed them least), and ``best`` is the metric at that report."""

    trial: str
    phase: str  # "search" or the final run
    config: dict
    best: float | None  # NaN while nothing was measured (None once read back from JSON)
    best_kimg: float | str  # "-" while nothing was measured
    kimg: float  # the last measured report's
    kimg_trained: float  # by the trial itself (see summary.kimg_trained)
    seconds: float
    lineage: str  # the trials whose checkpoints it continued, "" if none
    status: Status
    detail: str = ""  # the collapse reason or the error (see Status)
    reports: int = 0  # Tune's records of it
    saved_bytes: int = 0  # what its reports wrote to storage (raygan.tuning.saving)
    save_s: float = 0.0  # the seconds its reports spent saving that
    spent: dict = field(default_factory=dict)  # its running time by part (raygan.tuning.time_split.trial_spent)
    violation: float | None = None  # how far its best report missed the space's constraints (0: met them; None: the
    #                                 space has none, or nothing was measured; see raygan.constraints)
    constrained: dict = field(default_factory=dict)  # the constrained metrics' values at its best report
    history: list = field(default_factory=list)  # [kimg, metric] per measured report (not written)
    best_report: dict = field(default_factory=dict)  # the report at ``best``, as Tune recorded it (not written)
    result: object = None  # Tune's Result (not written, so None once read back)

    @property
    def feasible(self) -> bool | None:
        """Whether its best report met the space's constraints (None: no constraints, or nothing measured)."""
        return None if self.violation is None else self.violation == 0

    @property
    def status_text(self) -> str:
        """How the table, report.html and summary.jsonl say how it ended: ``stopped by ASHA at 64 kimg``."""
        if self.status in _WITH_DETAIL:
            return f"{self.status.value}: {self.detail}"
        if self.status in _AT_KIMG:
            return f"{self.status.value} at {self.kimg:g} kimg"
        return self.status.value

    def to_record(self) -> dict:
        """The row's summary.jsonl line (without constraints, as before they existed)."""
        unwritten = _NOT_WRITTEN + (_CONSTRAINED if self.violation is None else ())
        record = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in unwritten}
        return {**record, "status": self.status_text}

    @classmethod
    def from_record(cls, record: dict) -> TrialRow:
        """A row from its summary.jsonl line."""
        status, detail = parse_status(record["status"])
        return cls(**{**record, "status": status}, detail=detail)


def parse_status(text: str) -> tuple[Status, str]:
    """The status and its detail from the status's text (:attr:`TrialRow.status_text`)."""
    for status in Status:
        if status in _WITH_DETAIL and text.startswith(f"{status.value}: "):
            return status, text.removeprefix(f"{status.value}: ")
        if text == status.value or (status in _AT_KIMG and text.startswith(f"{status.value} at ")):
            return status, ""
    raise ValueError(f"not a trial status: {text!r}")
