"""Space files: the bundled ones (``--space dcgan``, ``--list-spaces``) and any YAML file, read and parsed."""
from __future__ import annotations

from pathlib import Path

import yaml

from raygan.errors import RayganError
from raygan.space.parse import parse_space
from raygan.space.search_space import SearchSpace

BUNDLED_PACKAGE = "raygan.search_spaces"  # the repository's search_spaces/, shipped inside the package


def bundled_spaces() -> dict:
    """The search spaces shipped with raygan, by name (``dcgan`` for ``dcgan.yaml``): readable files."""
    from importlib.resources import files

    spaces = {entry.name.removesuffix(".yaml"): entry for entry in files(BUNDLED_PACKAGE).iterdir()
              if entry.name.endswith(".yaml")}
    return dict(sorted(spaces.items()))


def describe(entry) -> str:
    """A space file's one-line description: the first sentence of its opening comment."""
    first = next((line for line in entry.read_text(encoding="utf-8").splitlines() if line.strip()), "")
    text = first.lstrip("#").strip()
    return text.split(". ")[0].split(": ")[0].rstrip(".")


def load_space(path) -> SearchSpace:
    """Read and validate a search-space file, or a bundled space by name (``dcgan``); every mistake
    is a one-line RayganError."""
    bundled = bundled_spaces()
    if not Path(path).exists() and str(path) in bundled:
        return _read_space(bundled[str(path)], f"{path} (bundled)")
    path = Path(path)
    names = ", ".join(bundled)
    if path.is_dir():
        raise RayganError(f"search space {path} is a folder; pass a YAML file or a bundled space ({names})")
    if not path.is_file():
        raise RayganError(f"search space {path} does not exist; pass a YAML file or a bundled space ({names})")
    return _read_space(path, str(path))


def _read_space(entry, source: str) -> SearchSpace:
    try:
        raw = yaml.safe_load(entry.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or "syntax error"
        line = (entry.read_text(encoding="utf-8").splitlines()[mark.line:] or [""])[0] if mark else ""
        # YAML reads an unquoted '>' as the start of a folded block: a constraint's bound needs quotes
        fix = "quote a constraint's bound, e.g. label_acc: \">= 0.95\"" if ": >" in line else "fix the syntax"
        raise RayganError(f"{source}: malformed YAML{where} ({problem}); {fix}") from None
    except UnicodeDecodeError:
        raise RayganError(f"{source} is not a text file; pass a YAML search space") from None
    return parse_space(raw, source)
