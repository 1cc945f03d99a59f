"""What every benchmark ends with: its table, its JSON on one line, and the JSON in ``--json FILE`` if given."""
from __future__ import annotations

import json
from pathlib import Path

from raygan.atomic import atomic_path


def emit(result: dict, table: str, json_file: str | None) -> None:
    print(table)
    print(json.dumps(result))
    if json_file:
        with atomic_path(Path(json_file)) as tmp:
            tmp.write_text(json.dumps(result, indent=2) + "\n")
