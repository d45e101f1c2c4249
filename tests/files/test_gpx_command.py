"""`postrun gpx PATH... [--json]` through click's test runner."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from datetime import timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli import gpx as gpx_command
from service.cli.gpx import gpx
from service.cli.suggest import suggest
from service.files import read_path
from tests.files.builders import run_gpx

FIXTURES = Path(__file__).parent / "fixtures"
RUNS = [
    "gpx/garmin-connect_run_hr_2012.gpx",
    "gpx/stravagpx_run_hr_2015.gpx",
    "fit/garmin-fenix2_run_9km_2015.fit",
]
NOT_RUNS = ["gpx/garmin-connect_ride_hr_2016.gpx", "gpx/stravagpx_route_run_no-times.gpx"]


@pytest.fixture
def folder(tmp_path):
    """A folder of three runs, a ride and a route, one of them in a subfolder."""
    root = tmp_path / "export"
    (root / "watch").mkdir(parents=True)
    for rel in RUNS[:2] + NOT_RUNS:
        shutil.copy(FIXTURES / rel, root / Path(rel).name)
    shutil.copy(FIXTURES / RUNS[2], root / "watch" / "FENIX2.FIT")
    (root / "notes.txt").write_text("not an activity", encoding="utf-8")
    return root


def invoke(*args: str):
    return CliRunner().invoke(gpx, list(args))


def suggest_output(paths: list[Path], *extra: str, tmp_path: Path) -> str:
    """What `postrun suggest` prints for the runs among these files (built independently)."""
    runs = []
    for path in paths:
        result = read_path(path)
        if result.is_run:
            clock = timezone(timedelta(seconds=result.utc_offset_s or 0))
            runs.append(
                {
                    "id": str(path),
                    "start": result.start.astimezone(clock).isoformat(),
                    "distance_m": result.distance_m,
                    "moving_time_s": result.moving_time_s,
                    "sport_type": result.sport_type,
                }
            )
    source = tmp_path / "doc.json"
    source.write_text(json.dumps({"runs": runs}), encoding="utf-8")
    done = CliRunner().invoke(suggest, [str(source), *extra])
    assert done.exit_code == 0, done.output
    return done.stdout


def test_a_folder_is_walked_sorted_and_every_file_gets_a_line(folder, tmp_path):
    result = invoke(str(folder))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    files = sorted((p for p in folder.rglob("*") if p.suffix.lower() in (".gpx", ".fit")), key=str)
    assert [line.split(": ", 1)[0] for line in lines[: len(files)]] == [str(p) for p in files]
    by_name = {Path(line.split(": ", 1)[0]).name: line.split(": ", 1)[1] for line in lines[:5]}
    assert (
        by_name["garmin-connect_run_hr_2012.gpx"] == "run 3.1 km in 0:15:48, 2012-10-24 23:29 UTC"
    )
    assert by_name["FENIX2.FIT"] == "run 9.0 km in 0:47:12, 2015-08-15 14:45 UTC"
    assert by_name["garmin-connect_ride_hr_2016.gpx"] == "not a run (cycling, from the file's type)"
    assert by_name["stravagpx_route_run_no-times.gpx"].startswith(
        "not a recorded run: no timestamps"
    )
    assert lines[5] == ""
    # The note is exactly what `postrun suggest` prints for the same runs.
    expected = suggest_output(files, tmp_path=tmp_path)
    assert result.stdout.endswith("\n\n" + expected)


def test_one_bad_file_does_not_stop_the_others(folder, tmp_path):
    bad = tmp_path / "broken.gpx"
    data = run_gpx()
    bad.write_bytes(data[: len(data) // 2])
    good = folder / "garmin-connect_run_hr_2012.gpx"
    result = invoke(str(bad), str(good), str(tmp_path / "missing.fit"))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{bad}: error: not valid XML: ")
    assert lines[1].startswith(f"{good}: run 3.1 km")
    assert lines[2] == f"{tmp_path / 'missing.fit'}: error: no such file"
    assert result.stdout.endswith("\n\n" + suggest_output([good], tmp_path=tmp_path))


def test_json(folder, tmp_path):
    bad = tmp_path / "garbage.fit"
    bad.write_bytes(bytes(range(256)))
    result = invoke(str(folder), str(bad), "--json")
    assert result.exit_code == 1
    printed = json.loads(result.stdout)
    assert set(printed) == {"files", "suggestion"}
    entries = {Path(f["path"]).name: f for f in printed["files"]}
    assert len(entries) == 6
    for entry in printed["files"]:
        assert set(entry) == {"path", "ok", "error", "run", "reason"}
    assert entries["garbage.fit"] == {
        "path": str(bad),
        "ok": False,
        "error": "not a GPX or FIT file: it is neither XML nor has a FIT header",
        "run": None,
        "reason": None,
    }
    fenix = entries["FENIX2.FIT"]
    assert fenix["ok"] is True
    assert fenix["error"] is None
    assert fenix["reason"] is None
    assert fenix["run"] == {
        # The watch recorded local time two hours ahead of UTC: the start keeps that clock.
        "start": "2015-08-15T16:45:08+02:00",
        "distance_m": pytest.approx(9008.22),
        "moving_time_s": 2832,
        "sport_type": "Run",
    }
    ride = entries["garmin-connect_ride_hr_2016.gpx"]
    assert ride["ok"] is True
    assert ride["run"] is None
    assert ride["reason"] == "cycling, from the file's type"
    files = [Path(f["path"]) for f in printed["files"] if f["ok"]]
    expected = json.loads(suggest_output(files, "--json", tmp_path=tmp_path))
    assert printed["suggestion"] == expected
    assert printed["suggestion"]["run"]["id"] == str(folder / "watch" / "FENIX2.FIT")


def test_no_runs_means_no_suggestion(folder):
    paths = [str(folder / Path(rel).name) for rel in NOT_RUNS]
    result = invoke(*paths, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["suggestion"] is None
    plain = invoke(*paths)
    assert plain.exit_code == 0
    assert len(plain.stdout.splitlines()) == 2
    assert "no runs among these files" in plain.stderr


def test_imperial_units(folder, tmp_path):
    good = folder / "garmin-connect_run_hr_2012.gpx"
    result = invoke(str(good), "--units", "imperial")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{good}: run 1.9 mi in 0:15:48")
    source = tmp_path / "doc.json"
    run = read_path(good)
    doc = {
        "athlete": {"units": "imperial"},
        "runs": [
            {
                "id": str(good),
                "start": run.start.isoformat(),
                "distance_m": run.distance_m,
                "moving_time_s": run.moving_time_s,
            }
        ],
    }
    source.write_text(json.dumps(doc), encoding="utf-8")
    assert result.stdout.endswith("\n\n" + CliRunner().invoke(suggest, [str(source)]).stdout)


def test_same_file_twice_is_read_once(folder):
    good = folder / "garmin-connect_run_hr_2012.gpx"
    result = invoke(str(good), str(folder / "." / good.name))
    assert result.stdout.count("run 3.1 km") == 1


def test_size_limits(folder):
    result = invoke(str(folder), "--max-mb", "0.1")
    assert result.exit_code == 1
    assert "error: too large: " in result.stdout
    assert "the limit is 102 KB" in result.stdout
    total = invoke(str(folder), "--max-total-mb", "0.5")
    assert total.exit_code == 1
    assert "exceed the limit of 512 KB for one request" in total.stdout


def test_empty_folder_is_noted(tmp_path):
    (tmp_path / "empty").mkdir()
    result = invoke(str(tmp_path / "empty"))
    assert result.exit_code == 0
    assert "no .gpx or .fit files in this folder" in result.stderr


def test_athlete_needs_import(folder):
    result = invoke(str(folder), "--athlete", "7")
    assert result.exit_code == 2
    assert "--athlete goes with --import" in result.stderr


def test_paths_are_required():
    assert invoke().exit_code == 2


def test_progress_bar_only_on_a_terminal(folder, tmp_path, monkeypatch):
    many = tmp_path / "many"
    many.mkdir()
    for i in range(6):
        (many / f"run{i}.gpx").write_bytes(run_gpx())
    assert "reading" not in invoke(str(many)).stderr
    monkeypatch.setattr(gpx_command, "_stderr_is_terminal", lambda: True)
    shown = invoke(str(many))
    assert shown.exit_code == 0
    assert "reading" in shown.stderr
    assert "reading" not in shown.stdout
    few = invoke(str(folder / "garmin-connect_run_hr_2012.gpx"))
    assert "reading" not in few.stderr


def test_timezone_puts_a_utc_file_on_the_athletes_calendar():
    # Written in UTC ("Z"): 23:29 on 24 Oct 2012 in UTC is 01:29 on the 25th in Berlin.
    path = str(FIXTURES / RUNS[0])
    plain = json.loads(invoke(path, "--json").stdout)["suggestion"]["run"]
    berlin = json.loads(invoke(path, "--json", "--timezone", "Europe/Berlin").stdout)
    assert (plain["local_day"], plain["utc_offset_s"]) == ("2012-10-24", 0)
    assert berlin["suggestion"]["run"]["local_day"] == "2012-10-25"
    assert berlin["suggestion"]["run"]["utc_offset_s"] == 7200  # summer time until 28 Oct
    # The file's own line stays in UTC, as the file wrote it.
    assert berlin["files"][0]["run"]["start"] == "2012-10-24T23:29:40Z"


def test_an_unknown_timezone_is_a_usage_error():
    result = invoke(str(FIXTURES / RUNS[0]), "--timezone", "Europe/Atlantis")
    assert result.exit_code == 2
    assert "--timezone: unknown time zone 'Europe/Atlantis'" in result.output
