#!/usr/bin/env python3
"""Set up and run postrun with nothing but Python 3.11+.

    python3 run.py demo     # the whole service on this machine, against the Strava sandbox
    python3 run.py test     # lint, type-check and the full test suite (layer test included)
    python3 run.py <any postrun command>   # e.g. serve, worker, sandbox --port 8089

The first call makes a virtual environment in .venv and installs the project
there from pyproject.toml, pinned by constraints.txt; later calls reinstall only
when either file changed.
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
STAMP = VENV / ".postrun-installed"


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        path = ROOT / name
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


def ensure_environment() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 (run.py may be started by an older python3)
        sys.exit(f"postrun needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print(f"creating a virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = _fingerprint()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("installing postrun and its dependencies (first run only)", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    constraints = (
        ["-c", str(ROOT / "constraints.txt")] if (ROOT / "constraints.txt").exists() else []
    )
    subprocess.run([*pip, "install", *constraints, "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    ensure_environment()
    os.chdir(ROOT)
    if argv[0] == "test":
        checks = [
            [str(BIN / "ruff"), "check", "."],
            [str(BIN / "ruff"), "format", "--check", "."],
            # Configured in pyproject.toml: strict on coaching/, default settings elsewhere.
            [str(BIN / "mypy")],
        ]
        for check in checks:
            if subprocess.run(check).returncode != 0:
                return 1
        return subprocess.run([str(BIN / "pytest"), *argv[1:]]).returncode
    command = [str(BIN / "postrun"), *argv]
    os.execv(command[0], command)  # noqa: S606 (fixed argv, no shell)
    return 0  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
