"""Every command that needs settings, run with an empty environment: one message, exit 2.

Each runs as a real process in an empty folder, so nothing it might create (a
SQLite file, a data folder) can hide in the test's own environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from service.config import Settings
from service.config import default_data_dir
from service.local.processes import postrun_command

BASE = ("SECRET_KEY", "POSTRUN_TOKEN_KEY")
STRAVA = ("STRAVA_CLIENT_ID", "STRAVA_CLIENT_SECRET", "STRAVA_VERIFY_TOKEN", "POSTRUN_PUBLIC_URL")
# Each command, and whether it talks to Strava (and so needs the app's credentials).
COMMANDS = (
    (["serve"], True),
    (["worker"], True),
    (["beat"], True),
    (["subscribe", "--callback-url", "https://example.org/webhooks/strava"], True),
    (["subscriptions"], True),
    (["unsubscribe"], True),
    (["events"], False),
    (["events", "--failed"], False),
    (["db", "upgrade"], False),
    (["db", "downgrade", "base"], False),
    (["gpx", "--import", "--athlete", "1", "run.gpx"], False),
)


def run_bare(args: list[str], cwd, **extra: str) -> subprocess.CompletedProcess[str]:
    home = cwd / "home"
    env = {"PATH": os.environ["PATH"], "HOME": str(home), **extra}
    return subprocess.run(
        [*postrun_command(), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("args", "strava"), COMMANDS, ids=lambda a: " ".join(a[:2]) if isinstance(a, list) else str(a)
)
def test_empty_environment_names_every_missing_variable(tmp_path, args, strava):
    (tmp_path / "run.gpx").write_text("<gpx/>")
    before = sorted(p.name for p in tmp_path.iterdir())

    result = run_bare(args, tmp_path)

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.count("cannot start") == 1
    for name in BASE:
        assert name in result.stderr
    for name in STRAVA:
        assert (name in result.stderr) == strava
    assert "Fernet.generate_key()" in result.stderr
    assert "secrets.token_hex(32)" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no database, no folder


def test_invalid_values_are_named_with_the_missing_ones(tmp_path):
    result = run_bare(
        ["serve"], tmp_path, STRAVA_CLIENT_ID="abc", POSTRUN_TOKEN_KEY="short", SECRET_KEY="s"
    )

    assert result.returncode == 2
    assert "STRAVA_CLIENT_ID must be a whole number, not 'abc'" in result.stderr
    assert "POSTRUN_TOKEN_KEY is not a Fernet key" in result.stderr
    assert "STRAVA_CLIENT_SECRET is not set" in result.stderr
    assert "SECRET_KEY is not set" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_default_database_lives_in_the_data_folder(tmp_path):
    settings = Settings.from_env({"POSTRUN_DATA_DIR": str(tmp_path / "data")})

    assert settings.database_url == f"sqlite:///{tmp_path}/data/postrun.sqlite3"
    assert default_data_dir({"XDG_DATA_HOME": "/x"}) == Path("/x/postrun")
    assert default_data_dir({"HOME": "/h"}) == Path("/h/.local/share/postrun")


def test_suggest_points_a_gpx_file_to_postrun_gpx(tmp_path):
    track = tmp_path / "morning.txt"
    track.write_text('<?xml version="1.0"?>\n<gpx version="1.1"></gpx>\n')

    result = subprocess.run(
        [sys.executable, "-m", "service.cli.commands", "suggest", str(track)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert "postrun gpx" in result.stderr
    assert "Traceback" not in result.stderr
