#!/usr/bin/env python3
"""Set up and run postrun with nothing but Python 3.11+.

    python3 run.py demo     # the whole service on this machine, against the Strava sandbox
    python3 run.py test     # lint, type-check and the full test suite (layer test included)
    python3 run.py <any postrun command>   # e.g. serve, worker, gpx myrun.gpx
    python3 run.py help [COMMAND]          # postrun's commands, or one command's options

The first call makes a virtual environment in .venv and installs what postrun
runs, pinned by constraints.txt; `test` adds the test tools the first time it
needs them. Later calls reinstall only when pyproject.toml or constraints.txt
changed. Commands run in the folder you called from, so paths work as typed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("POSTRUN_VENV", ROOT / ".venv"))
BIN = VENV / "bin"
# What was installed, for which pyproject.toml and constraints.txt: "runtime" or "test".
STAMP = VENV / ".postrun-installed"


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        path = ROOT / name
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


def _installed() -> tuple[str, str]:
    """(fingerprint, extras) of the last install, or empty strings."""
    if not STAMP.exists():
        return "", ""
    fingerprint, _, extras = STAMP.read_text().strip().partition(" ")
    return fingerprint, extras


def step(message: str) -> None:
    print(f"run.py: {message}", file=sys.stderr, flush=True)


def ensure_environment(with_tests: bool) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 (run.py may be started by an older python3)
        sys.exit(f"postrun needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        step(f"creating a virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = _fingerprint()
    fingerprint, extras = _installed()
    if fingerprint == wanted and (extras == "test" or not with_tests):
        return
    target = "test" if with_tests or (fingerprint == wanted and extras == "test") else "runtime"
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    step("upgrading pip")
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    constraints = (
        ["-c", str(ROOT / "constraints.txt")] if (ROOT / "constraints.txt").exists() else []
    )
    spec = f"{ROOT}[test]" if target == "test" else str(ROOT)
    what = "postrun with its test tools" if target == "test" else "postrun and what it runs"
    step(f"installing {what} (pinned by constraints.txt)")
    subprocess.run([*pip, "install", *constraints, "-e", spec], check=True)
    STAMP.write_text(f"{wanted} {target}\n")
    step("installed")


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        ensure_environment(with_tests=False)
        # postrun's own list of commands (or one command's help), from its command line.
        return subprocess.run([str(BIN / "postrun"), *argv[1:], "--help"]).returncode
    if argv[0] == "test":
        ensure_environment(with_tests=True)
        # The checks and the suite read paths relative to the repository.
        checks = [
            [str(BIN / "ruff"), "check", "."],
            [str(BIN / "ruff"), "format", "--check", "."],
            # Configured in pyproject.toml: strict on coaching/, default settings elsewhere.
            [str(BIN / "mypy")],
        ]
        for check in checks:
            if subprocess.run(check, cwd=ROOT).returncode != 0:
                return 1
        return subprocess.run([str(BIN / "pytest"), *argv[1:]], cwd=ROOT).returncode
    ensure_environment(with_tests=False)
    command = [str(BIN / "postrun"), *argv]
    os.execv(command[0], command)  # noqa: S606 (fixed argv, no shell)
    return 0  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
