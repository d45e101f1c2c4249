"""The coaching package stays pure: stdlib and its own modules only, no clock, no I/O."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "coaching"
MODULES = sorted(PACKAGE.glob("*.py"))
ALLOWED_STDLIB = set(sys.stdlib_module_names) - {
    "socket",
    "http",
    "urllib",
    "subprocess",
    "sqlite3",
    "os",
    "io",
    "pathlib",
    "time",
    "random",
    "shutil",
    "tempfile",
    "asyncio",
    "threading",
    "multiprocessing",
}
BANNED_CALLS = {"now", "utcnow", "today", "time", "open", "print", "input", "getenv"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_imports_only_stdlib_and_itself(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            assert top in ALLOWED_STDLIB or top == "coaching", f"{path.name} imports {name}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_never_reads_the_clock_or_does_io(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            assert name not in BANNED_CALLS, f"{path.name} calls {name}()"


def test_public_interface():
    import coaching

    assert set(coaching.__all__) == {
        "AthleteSettings",
        "Run",
        "Suggestion",
        "is_finished_run",
        "suggest",
    }
