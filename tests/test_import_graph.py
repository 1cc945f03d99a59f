"""No import cycle anywhere in raygan, and no library module imports a command-line module.

raygan.config asks the model registry; the registry never imports the config, not even lazily.

The graph is read from the source with ``ast``: every import statement counts, at the top of
a module, inside a function or under ``TYPE_CHECKING``.  An edge goes to each raygan module an
import names (``from raygan.models import dcgan`` names ``raygan.models.dcgan``, but not
``raygan.models`` itself, whose own names it does not use); the
parent packages Python imports on the way are left out, as ``raygan/__init__.py`` imports the whole
public API.
"""
import ast
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _module_files() -> dict[str, Path]:
    files = {}
    for path in (ROOT / "raygan").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return files


def _imports(name: str, path: Path, modules) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    named = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            submodules = {f"{base}.{alias.name}" for alias in node.names} & set(modules)
            named.update(submodules)
            if len(submodules) < len(node.names):  # a name the package itself defines
                named.add(base)
    return {target for target in named if target in modules and target != name}


def _graph() -> dict[str, set[str]]:
    files = _module_files()
    return {name: _imports(name, path, files) for name, path in files.items()}


def _cycle_from(start: str, graph) -> list[str] | None:
    """A cycle among the modules reachable from ``start``, as a path that returns to its first module."""
    done, path = set(), []

    def visit(node):
        if node in path:
            return path[path.index(node):] + [node]
        if node in done:
            return None
        path.append(node)
        for target in sorted(graph[node]):
            found = visit(target)
            if found:
                return found
        path.pop()
        done.add(node)
        return None

    return visit(start)


def _reachable(start: str, graph) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph[node])
    return seen


def test_the_graph_reads_imports_anywhere_in_a_module():
    graph = _graph()
    assert {"raygan.models", "raygan.models.conditioning"} <= graph["raygan.config"]
    assert "raygan.data.prepare" in graph["raygan.evaluate"]  # imported inside a function


def test_config_and_models_import_each_other_in_no_cycle():
    graph = _graph()
    for start in ("raygan.config", "raygan.models"):
        cycle = _cycle_from(start, graph)
        assert cycle is None, " -> ".join(cycle)
    assert "raygan.config" not in _reachable("raygan.models", graph)


CLI_MODULES = {"raygan.cli", "raygan.train", "raygan.search", "raygan.evaluate", "raygan.generate", "raygan.report",
               "raygan.export", "raygan.metrics.train_evaluator"}


def test_no_module_of_raygan_is_part_of_an_import_cycle():
    graph = _graph()
    for start in sorted(graph):
        cycle = _cycle_from(start, graph)
        assert cycle is None, " -> ".join(cycle)


def test_the_library_never_imports_a_command_line_module():
    graph = _graph()
    for name, targets in graph.items():
        if name not in CLI_MODULES:
            assert not targets & CLI_MODULES, f"{name} imports {sorted(targets & CLI_MODULES)}"
