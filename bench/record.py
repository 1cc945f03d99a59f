"""What every benchmark record carries: when it was measured, on which CPU, with which torch, at which commit.

:func:`provenance` is taken when a benchmark starts and leads each record the scripts in
``bench/`` write or print, so a figure in ``bench/RESULTS.md`` can be traced to the code
and machine that produced it, and a later change to that code shows the figure is old.
"""
from __future__ import annotations

import json
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import torch

from raygan.records import append_jsonl

REPO = Path(__file__).resolve().parents[1]
CPUINFO = Path("/proc/cpuinfo")
RECORDS = ":(exclude)bench/*.jsonl"  # the records themselves: appending one does not change what is measured


def provenance(repo: Path = REPO) -> dict:
    """``date`` (UTC, ISO 8601), ``cpu`` (model name), ``torch`` (version), ``commit`` (HEAD of ``repo``) and
    ``dirty`` (tracked files other than the records differ from it); ``commit`` and ``dirty`` are None
    outside a git checkout."""
    commit, dirty = git_state(repo)
    return {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "cpu": cpu_model(),
            "torch": torch.__version__, "commit": commit, "dirty": dirty}


def cpu_model(cpuinfo: Path = CPUINFO) -> str | None:
    """The first ``model name`` in /proc/cpuinfo (Linux); else ``platform.processor()``; None if neither says."""
    try:
        for line in cpuinfo.read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and value.strip():
                return value.strip()
    except OSError:
        pass
    return platform.processor() or None


def git_state(repo: Path = REPO) -> tuple[str | None, bool | None]:
    """HEAD's commit and whether tracked files (other than ``bench/*.jsonl``) have uncommitted changes;
    untracked files (a benchmark's ``--out`` folder) do not count.  ``(None, None)`` without git or a checkout."""
    try:
        head = _git(repo, "rev-parse", "--verify", "HEAD")
        changed = _git(repo, "status", "--porcelain", "--untracked-files=no", "--", ".", RECORDS)
    except (OSError, subprocess.CalledProcessError):
        return None, None
    return head, bool(changed)


def measure_and_publish(prog: str, measure: Callable[[], dict], table: Callable[[dict], str], json_path=None) -> None:
    """A benchmark's end: :func:`provenance` (taken first, as it starts) with what ``measure()`` returns,
    published with its ``table``; a RayganError is ``prog``'s one-line error and exit 2."""
    from raygan.cli import user_errors

    with user_errors(prog):
        record = {**provenance(), **measure()}
        publish(record, table(record), json_path)


def publish(record: dict, table: str, json_path=None) -> None:
    """Print a benchmark's ``table`` and then its ``record`` as one JSON line; append the record to the JSONL
    file ``json_path`` too when given."""
    print(table)
    if json_path:
        append_jsonl(json_path, record)
    print(json.dumps(record))


def cell(value) -> str:
    """A value in a printed table: floats to 4 significant digits, None as ``-``."""
    return f"{value:.4g}" if isinstance(value, float) else str(value if value is not None else "-")


def markdown_table(header: list[str], rows: list[list]) -> list[str]:
    """A Markdown table's lines: ``header``, then each row's values as :func:`cell` prints them."""
    return ["| " + " | ".join(header) + " |", "| --- " * len(header) + "|",
            *("| " + " | ".join(cell(value) for value in row) + " |" for row in rows)]


def describe(record: dict) -> str:
    """One line for a printed table: ``date, cpu, torch X, commit abc1234 (+ uncommitted changes)``."""
    commit = (record["commit"] or "unknown")[:12] + (" + uncommitted changes" if record["dirty"] else "")
    return f"{record['date']}, {record['cpu'] or 'cpu unknown'}, torch {record['torch']}, commit {commit}"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True,
                          timeout=30).stdout.strip()
