"""Aligned text tables, for the tables a search prints (its progress and its summary)."""
from __future__ import annotations


def cell(value) -> str:
    """A value as a table cell: floats to 3 significant digits, None as ``-``."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def text_table(lines: list[list[str]]) -> str:
    """Rows of cells as aligned text, two spaces apart; the last column is left ragged (it may be long)."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]) - 1)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths)) + "  " + line[-1] for line in lines)
