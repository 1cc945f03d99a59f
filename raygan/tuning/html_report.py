"""``report.html``: one self-contained HTML page per search (``python -m raygan.report runs/NAME`` rebuilds it).

The page (``runs/NAME/report.html``, written at the end of every search) holds the summary
table, how the budget was spent, the metric-by-trial plot, the best trial's curves and
sample grid, the collapse reasons, Optuna's parameter importances (:mod:`.importances`),
and the command that reproduces the search.  Images are embedded as data URIs, so the
file opens anywhere, offline, and can be mailed or attached to a ticket.

It is built from what the search leaves in its local experiment folder: ``search.json``
(:mod:`.search_record`, written before training: the command and the space),
``summary.jsonl`` and ``phases.jsonl`` (the end of the search, or :mod:`.rebuild` for an
interrupted one), and the plots.
"""
from __future__ import annotations

import base64
import json
import html
from pathlib import Path

from raygan.atomic import atomic_path
from raygan.layout import (BEST_CURVES, BEST_SAMPLES, CLOSEST_PAIRS, EXPORT_COPIES, PHASES_FILE, REPORT_FILE,
                           SUMMARY_FILE, by_trial_plot)
from raygan.metrics.copies import COPY_QUANTILE
from raygan.records import read_jsonl
from raygan.tuning.importances import param_importances
from raygan.tuning.search_record import read_search_record
from raygan.tuning.summary import Outcome, Phase, read_summary
from raygan.tuning.trial_row import Status


def build_report(folder: Path) -> Path:
    """Write ``folder/report.html`` from the search's records in ``folder``; returns its path."""
    record, space = read_search_record(folder)
    rows = read_summary(folder) if (folder / SUMMARY_FILE).is_file() else []
    phases = [Phase(**p) for p in read_jsonl(folder / PHASES_FILE)] if (folder / PHASES_FILE).is_file() else []
    outcome = Outcome(space, str(folder), rows, phases)
    importances = param_importances(rows, space)
    shown = ((f"{space.metric} by trial", by_trial_plot(space.metric)),
             ("best trial: training curves", BEST_CURVES), ("best trial: samples", BEST_SAMPLES),
             (copies_title(folder), CLOSEST_PAIRS))
    images = {title: folder / file for title, file in shown if (folder / file).is_file()}
    page = _page(folder.name, record, outcome, importances, images)
    with atomic_path(folder / REPORT_FILE) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return folder / REPORT_FILE


def copies_title(folder: Path) -> str:
    """The title of the export's closest-pairs grid, with its copy rate when the search measured one."""
    title = "export: the samples nearest a training image (each above it)"
    if not (folder / EXPORT_COPIES).is_file():
        return title
    check = json.loads((folder / EXPORT_COPIES).read_text(encoding="utf-8"))
    return (f"{title}; copy rate {check['copy_rate']:.3f} of {check['copy_samples']:,} samples "
            f"(unseen real images: {COPY_QUANTILE:g})")


def _page(name: str, record: dict, outcome, importances, images: dict[str, Path]) -> str:
    space = outcome.space
    esc = html.escape
    collapsed = [row for row in outcome.rows if row.status in (Status.COLLAPSED, Status.ERROR)]
    parts = [f"<h1>raygan search <code>{esc(name)}</code></h1>",
             f"<p>{esc(space.model)} on {esc(space.data_dir or space.dataset)}, scheduler {esc(space.scheduler)}, "
             "optimising "
             f"{esc(space.metric)} ({esc(space.mode)}) on {space.budget.quick_num} samples per report; "
             f"space {esc(str(record.get('space_source')))}; raygan {esc(str(record.get('raygan_version')))}.</p>",
             "<h2>Reproduce</h2>",
             f"<pre>{esc(record.get('command') or 'run through the Python API (raygan.run_search)')}</pre>"]
    if outcome.phases:
        parts += ["<h2>Budget</h2>", "<ul>" + "".join(f"<li>{esc(line)}</li>" for line in outcome.budget_lines())
                  + "</ul>"]
    parts += ["<h2>Trials</h2>", *(f"<p>{esc(line)}</p>" for line in outcome.constraint_lines()),
              _table(outcome.cells()) if outcome.rows else "<p>No trial finished a report.</p>"]
    for title, path in images.items():
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        parts.append(f"<h2>{esc(title)}</h2><img alt='{esc(title)}' src='data:image/png;base64,{data}'>")
    parts.append("<h2>Collapsed or failed trials</h2>")
    parts.append("<ul>" + "".join(f"<li><code>{esc(r.trial)}</code>: {esc(r.status_text)}</li>" for r in collapsed)
                 + "</ul>" if collapsed else "<p>None.</p>")
    parts.append("<h2>Parameter importances (Optuna)</h2>")
    if isinstance(importances, str):
        parts.append(f"<p>Not computed: {esc(importances)}.</p>")
    else:
        parts.append("<table><tr><th>parameter</th><th>importance</th></tr>" + "".join(
            f"<tr><td>{esc(k)}</td><td>{v:.3f}</td></tr>" for k, v in importances.items()) + "</table>")
    return _HTML.format(title=esc(f"raygan search {name}"), body="\n".join(parts))


def _table(lines: list[list[str]]) -> str:
    """The summary's header and rows as an HTML table."""
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in lines[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in line) + "</tr>" for line in lines[1:])
    return f"<table><tr>{head}</tr>{body}</table>"


# The script marks the body once every image has decoded (data-images) and counts script
# errors (data-errors): what a headless browser test reads back.
_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; max-width: 75em; }}
table {{ border-collapse: collapse; font-size: 0.9em; }}
td, th {{ border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; }}
pre {{ background: #f4f4f4; padding: 0.8em; white-space: pre-wrap; }}
img {{ max-width: 100%; }}
img[alt$="samples"] {{ width: 28em; image-rendering: pixelated; }}
</style>
<script>
window.addEventListener("error", () => {{
  document.body.dataset.errors = String(Number(document.body.dataset.errors || 0) + 1);
}});
window.addEventListener("load", () => {{
  const images = Array.from(document.images);
  document.body.dataset.images = String(images.filter(i => i.complete && i.naturalWidth > 0).length);
  document.body.dataset.errors = document.body.dataset.errors || "0";
}});
</script></head>
<body>
{body}
</body></html>
"""

