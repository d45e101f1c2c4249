"""The architecture as a test: which package may import which, and no import cycles.

Read from the source with ``ast`` (nothing is imported), so every import counts:
at the top of a module, inside a function, or under ``TYPE_CHECKING``. The rules
and the reasons for them are in docs/architecture.md.

Inside ``service``, a module may import its own layer and the layers below it,
never one above:

    service.cli                                   the command line
    service.web, service.local                    the Flask app and views; the one-machine stack
    service.ops                                   maintenance and metrics
    service.pipeline, service.accounts, service.files
    service.strava, service.storage               adapters to Strava and to the database
    service.config, service.logs                  settings and log format
    coaching                                      pure: the standard library only

``workers`` sits on top of ``service``; ``sandbox`` stands alone.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("coaching", "service", "workers", "sandbox")

# Top layer first. A module belongs to the longest prefix listed here.
SERVICE_LAYERS: tuple[tuple[str, ...], ...] = (
    ("service.cli",),
    ("service.web", "service.local"),
    ("service.ops",),
    ("service.pipeline", "service.accounts", "service.files"),
    ("service.strava", "service.storage"),
    ("service.config", "service.logs", "service"),
    ("coaching",),
)


@dataclass(frozen=True)
class Import:
    importer: str  # module name
    imported: str  # module name (or the top-level name of a library)
    where: str  # path:line, for the message


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules(root: Path) -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            found[module_name(path, root)] = path
    return found


def _resolve(name: str, known: Iterable[str]) -> str:
    """The longest known module that ``name`` (a module or a name in one) starts with."""
    known = set(known)
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            return candidate
    return parts[0]


def imports_of(module: str, source: str, where: str, known: set[str]) -> Iterator[Import]:
    is_package = where.endswith("__init__.py")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, _resolve(alias.name, known), f"{where}:{node.lineno}")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package upwards
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, base] if base else package)
            if base == "__future__":
                continue
            for alias in node.names:
                target = _resolve(f"{base}.{alias.name}", known)
                yield Import(module, target, f"{where}:{node.lineno}")


def all_imports(modules: dict[str, str], root: Path | None = None) -> list[Import]:
    """Every import in ``modules`` (name -> source)."""
    known = set(modules)
    found = []
    for name, source in modules.items():
        where = name.replace(".", "/") + ".py"
        if root is not None:
            path = root / (name.replace(".", "/"))
            where = str(path / "__init__.py" if path.is_dir() else path.with_suffix(".py"))
            where = str(Path(where).relative_to(root))
        found.extend(imports_of(name, source, where, known))
    return found


def layer_of(module: str) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for index, prefixes in enumerate(SERVICE_LAYERS):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return None if best is None else best[1]


def _top(name: str) -> str:
    return name.split(".")[0]


def rule_breaks(found: list[Import]) -> list[str]:
    """One message per import that breaks a rule."""
    stdlib = set(sys.stdlib_module_names)
    broken = []
    for item in found:
        importer, imported = _top(item.importer), _top(item.imported)
        if importer == "coaching" and imported not in stdlib | {"coaching"}:
            broken.append(
                f"{item.where}: {item.importer} imports {item.imported}: "
                "coaching may import only the standard library and itself"
            )
        elif importer == "sandbox" and imported in ("service", "workers"):
            broken.append(
                f"{item.where}: {item.importer} imports {item.imported}: "
                "the sandbox stands alone (no service, no workers)"
            )
        elif importer == "service" and imported == "workers":
            broken.append(
                f"{item.where}: {item.importer} imports {item.imported}: "
                "service never imports workers (enqueue by task name)"
            )
        elif importer == "service" and imported in ("service", "coaching"):
            above, below = layer_of(item.importer), layer_of(item.imported)
            if above is not None and below is not None and below < above:
                broken.append(
                    f"{item.where}: {item.importer} imports {item.imported}: "
                    f"layer {' / '.join(SERVICE_LAYERS[above])} may not import "
                    f"the higher layer {' / '.join(SERVICE_LAYERS[below])}"
                )
    return broken


def cycles(found: list[Import], modules: Iterable[str]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each as a sorted list."""
    nodes = set(modules)
    graph: dict[str, set[str]] = {name: set() for name in nodes}
    for item in found:
        if item.imported in nodes and item.imported != item.importer:
            graph[item.importer].add(item.imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return groups


def describe_cycle(group: list[str], found: list[Import]) -> str:
    members = set(group)
    edges = sorted(
        f"{item.where}: {item.importer} -> {item.imported}"
        for item in found
        if item.importer in members and item.imported in members
    )
    return "import cycle among " + ", ".join(group) + ":\n    " + "\n    ".join(edges)


def _project() -> tuple[dict[str, str], list[Import]]:
    paths = project_modules(ROOT)
    sources = {name: path.read_text(encoding="utf-8") for name, path in paths.items()}
    return sources, all_imports(sources, ROOT)


def test_every_import_keeps_to_the_layers():
    _sources, found = _project()
    broken = rule_breaks(found)
    assert not broken, "imports that break the architecture:\n" + "\n".join(broken)


def test_no_import_cycles():
    sources, found = _project()
    groups = cycles(found, sources)
    assert not groups, "\n".join(describe_cycle(group, found) for group in groups)


def test_every_service_module_has_a_layer():
    sources, _found = _project()
    loose = [name for name in sources if _top(name) == "service" and layer_of(name) is None]
    assert not loose, f"modules outside every layer: {loose}"


# The checker itself, on made-up modules: each rule must catch its own kind of break.


def _check(modules: dict[str, str]) -> tuple[list[str], list[list[str]]]:
    found = all_imports(modules)
    return rule_breaks(found), cycles(found, modules)


def test_the_checker_sees_coaching_import_a_library():
    broken, _ = _check({"coaching.x": "import requests\n"})
    assert broken == [
        "coaching/x.py:1: coaching.x imports requests: "
        "coaching may import only the standard library and itself"
    ]


def test_the_checker_sees_the_sandbox_and_the_service_reach_out():
    broken, _ = _check(
        {
            "sandbox.app": "from service.storage import models\n",
            "service.web.app": "def f():\n    import workers.tasks\n",
            "service.storage.models": "",
        }
    )
    assert len(broken) == 2
    assert "the sandbox stands alone" in broken[0]
    assert "service/web/app.py:2" in broken[1]
    assert "never imports workers" in broken[1]


def test_the_checker_sees_a_lower_layer_import_a_higher_one():
    broken, _ = _check(
        {
            "service.storage.models": "from service.web.app import create_app\n",
            "service.web.app": "",
        }
    )
    assert len(broken) == 1
    assert "service.storage.models imports service.web.app" in broken[0]
    assert "may not import the higher layer service.web / service.local" in broken[0]


def test_the_checker_sees_a_cycle_through_a_relative_import():
    _, groups = _check(
        {
            "service.pipeline.a": "from service.pipeline import b\n",
            "service.pipeline.b": "from .a import thing\n",
        }
    )
    assert groups == [["service.pipeline.a", "service.pipeline.b"]]
