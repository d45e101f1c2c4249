"""``run.py``: it lists postrun's commands and runs them in the caller's folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

RUN_PY = Path(__file__).resolve().parents[2] / "run.py"


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RUN_PY), *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_help_lists_postrun_commands_and_the_set_up_ones(tmp_path):
    for flag in ("--help", "help"):
        result = run([flag], tmp_path)
        assert result.returncode == 0, result.stderr
        for command in ("demo", "test", "serve", "worker", "beat", "gpx", "suggest", "events"):
            assert command in result.stdout


def test_a_relative_path_is_read_from_the_callers_folder(tmp_path):
    (tmp_path / "doc.json").write_text('{"runs": []}')

    result = run(["suggest", "doc.json"], tmp_path)

    assert "cannot read" not in result.stderr
    assert "No such file" not in result.stderr
    assert result.returncode == 2  # read, and refused for having no runs
