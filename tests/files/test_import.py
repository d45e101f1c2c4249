"""Importing files into a history: ids, dedupe both ways, limits, ``postrun gpx --import``."""

from __future__ import annotations

import json
import re
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import coaching
from service.cli.gpx import gpx
from service.files import FileError
from service.files import Limits
from service.files import imports as uploads
from service.files import read_activity
from service.pipeline.history import as_run
from service.pipeline.history import coaching_settings
from service.pipeline.history import run_history
from service.pipeline.history import same_run
from service.storage import migrate
from service.storage.models import Activity
from service.storage.models import Athlete
from tests.conftest import TOKEN_KEY
from tests.files.builders import START
from tests.files.builders import gpx as gpx_doc
from tests.files.builders import points
from tests.files.builders import run_gpx

FIXTURES = Path(__file__).parent / "fixtures"
GPX_RUN = FIXTURES / "gpx" / "garmin-connect_run_hr_2012.gpx"
FIT_RUN = FIXTURES / "fit" / "garmin-fenix2_run_9km_2015.fit"
RIDE = FIXTURES / "gpx" / "garmin-connect_ride_hr_2016.gpx"
BOMB = (
    b'<?xml version="1.0"?>\n<!DOCTYPE gpx [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>\n'
    b"<gpx><trk><name>&b;</name></trk></gpx>"
)
ATHLETE, OTHER = 4242, 4343


def add_athlete(deps, athlete_id):
    with deps.session_factory() as session:
        session.add(Athlete(id=athlete_id, access_token="a", refresh_token="r", expires_at=0))
        session.commit()


@pytest.fixture
def athlete(deps):
    add_athlete(deps, ATHLETE)
    return ATHLETE


def rows(deps, athlete_id=ATHLETE):
    with deps.session_factory() as session:
        return list(
            session.scalars(
                sa.select(Activity)
                .where(Activity.athlete_id == athlete_id)
                .order_by(Activity.start)
            )
        )


def add_strava_run(deps, activity_id, start, distance_m, athlete_id=ATHLETE):
    with deps.session_factory() as session:
        session.add(
            Activity(
                id=activity_id,
                athlete_id=athlete_id,
                name="Morning Run",
                sport_type="Run",
                start=start,
                distance_m=distance_m,
                moving_time_s=int(distance_m / 3),
                is_run=True,
                status="annotated",
            )
        )
        session.commit()


def history(deps, until, athlete_id=ATHLETE):
    with deps.session_factory() as session:
        return run_history(session, athlete_id, until)


# Ids and matching ---------------------------------------------------------------


def test_file_ids_are_negative_stable_and_per_athlete():
    data = GPX_RUN.read_bytes()
    first = uploads.file_run_id(ATHLETE, data)
    assert first < 0
    assert first >= -(2**63)
    assert uploads.file_run_id(ATHLETE, data) == first
    assert uploads.file_run_id(OTHER, data) != first
    assert uploads.file_run_id(ATHLETE, data + b"\n") != first


@pytest.mark.parametrize(
    ("seconds", "distance_b", "same"),
    [
        (0, 10_000.0, True),
        (120, 10_000.0, True),
        (-120, 10_000.0, True),
        (121, 10_000.0, False),
        (0, 9_500.0, True),  # 5 % of the longer one
        (0, 10_526.0, True),
        (0, 9_499.0, False),
        (0, 10_600.0, False),
    ],
)
def test_same_run_is_two_minutes_and_five_percent(seconds, distance_b, same):
    other = START + timedelta(seconds=seconds)
    assert same_run(START, 10_000.0, other, distance_b) is same
    assert same_run(other, distance_b, START, 10_000.0) is same


# import_files --------------------------------------------------------------------


def test_good_files_are_imported_and_a_bad_one_is_reported_by_name(deps, athlete):
    results = uploads.import_files(
        deps,
        athlete,
        [
            ("uploads/" + GPX_RUN.name, GPX_RUN.read_bytes()),
            ("bomb.gpx", BOMB),
            (FIT_RUN.name, FIT_RUN.read_bytes()),
            (RIDE.name, RIDE.read_bytes()),
        ],
    )

    assert [(r.name, r.status) for r in results] == [
        (GPX_RUN.name, "imported"),
        ("bomb.gpx", "error"),
        (FIT_RUN.name, "imported"),
        (RIDE.name, "not a run"),
    ]
    assert "document type declaration" in results[1].error
    assert not results[1].ok
    assert "cycling" in results[3].detail
    for result in (results[0], results[2]):
        assert result.ok
        # Files from 2012 and 2015: in the history, but no note from a history never seen.
        assert result.suggestion is None
        assert result.detail == uploads.OLD_RUN
    stored = rows(deps)
    assert [row.file_name for row in stored] == [GPX_RUN.name, FIT_RUN.name]
    for row in stored:
        assert row.id < 0
        assert row.source == "file"
        assert row.status == "imported"
        assert row.is_run
    assert stored[0].id == uploads.file_run_id(athlete, GPX_RUN.read_bytes())


def test_a_file_run_prescribed_no_circuit_and_has_no_workout_type(deps, athlete):
    """Only notes written to Strava count as sessions (docs/coaching.md#progression)."""
    uploads.import_files(deps, athlete, [(GPX_RUN.name, GPX_RUN.read_bytes())])

    (stored,) = rows(deps)
    assert (stored.circuit, stored.workout_type) == (False, None)
    (run,) = history(deps, stored.start)
    assert (run.circuit, run.workout_type) == (False, None)


def test_the_suggestion_is_the_one_the_run_would_have_received(deps, athlete):
    """The history it sees is the runs before it, as in the pipeline."""
    deps.clock = lambda: (START + timedelta(days=3)).timestamp()  # a run of this week
    earlier = START - timedelta(days=2)
    add_strava_run(deps, 77, earlier, 12_000.0)
    data = run_gpx()
    (result,) = uploads.import_files(deps, athlete, [("today.gpx", data)])
    found = read_activity("today.gpx", data)

    with deps.session_factory() as session:
        settings = coaching_settings(session.get(Athlete, athlete))
    run = coaching.Run(
        str(uploads.file_run_id(athlete, data)),
        found.start,
        found.distance_m,
        found.moving_time_s,
        found.sport_type,
    )
    expected = coaching.suggest(settings, [history(deps, earlier)[0], run], run)
    assert result.suggestion == expected.text


def test_a_run_over_eight_weeks_old_gets_no_note(deps, athlete):
    data = run_gpx()
    deps.clock = lambda: (START + uploads.NOTE_MAX_AGE - timedelta(hours=1)).timestamp()
    (recent,) = uploads.import_files(deps, athlete, [("recent.gpx", data)])
    assert recent.suggestion
    assert not recent.detail

    add_athlete(deps, OTHER)  # the same file, for another athlete, a little later
    deps.clock = lambda: (START + uploads.NOTE_MAX_AGE + timedelta(hours=1)).timestamp()
    (old,) = uploads.import_files(deps, OTHER, [("old.gpx", data)])
    assert old.status == "imported"
    assert old.suggestion is None
    assert old.detail == uploads.OLD_RUN


def test_the_same_file_twice_is_a_duplicate(deps, athlete):
    data = GPX_RUN.read_bytes()
    first = uploads.import_files(deps, athlete, [("a.gpx", data)])
    again = uploads.import_files(deps, athlete, [("renamed.gpx", data), ("a.gpx", data)])

    assert [r.status for r in first] == ["imported"]
    assert [r.status for r in again] == ["duplicate", "duplicate"]
    assert "already imported from a.gpx" in again[0].detail
    assert len(rows(deps)) == 1


def test_the_same_run_in_another_file_is_a_duplicate(deps, athlete):
    uploads.import_files(deps, athlete, [("run.gpx", run_gpx())])
    # Ten seconds later, one point fewer: another recording of the same run.
    other = run_gpx(60, start=START + timedelta(seconds=10))
    (result,) = uploads.import_files(deps, athlete, [("watch.gpx", other)])
    assert result.status == "duplicate"
    assert "run.gpx" in result.detail
    assert len(rows(deps)) == 1


def test_two_athletes_may_import_the_same_file(deps, athlete):
    add_athlete(deps, OTHER)
    data = GPX_RUN.read_bytes()
    assert uploads.import_files(deps, athlete, [("a.gpx", data)])[0].status == "imported"
    assert uploads.import_files(deps, OTHER, [("a.gpx", data)])[0].status == "imported"
    assert len(rows(deps)) == 1
    assert len(rows(deps, OTHER)) == 1


def test_a_file_run_matching_a_strava_run_is_not_stored(deps, athlete):
    found = read_activity("run.gpx", run_gpx())
    add_strava_run(deps, 9001, found.start + timedelta(seconds=90), found.distance_m * 1.04)
    (result,) = uploads.import_files(deps, athlete, [("run.gpx", run_gpx())])

    assert result.status == "duplicate"
    assert result.ok
    assert "Morning Run" in result.detail
    assert result.suggestion is None
    assert [row.id for row in rows(deps)] == [9001]


def test_a_run_just_outside_the_window_is_not_a_duplicate(deps, athlete):
    found = read_activity("run.gpx", run_gpx())
    add_strava_run(deps, 9001, found.start + timedelta(seconds=121), found.distance_m)
    add_strava_run(deps, 9002, found.start, found.distance_m * 1.10)
    (result,) = uploads.import_files(deps, athlete, [("run.gpx", run_gpx())])
    assert result.status == "imported"


def test_a_strava_run_arriving_later_replaces_the_file_run(deps, athlete):
    data = run_gpx()
    found = read_activity("run.gpx", data)
    uploads.import_files(deps, athlete, [("run.gpx", data)])
    until = found.start + timedelta(hours=1)
    file_id = str(uploads.file_run_id(athlete, data))
    assert [run.id for run in history(deps, until)] == [file_id]

    add_strava_run(deps, 9001, found.start - timedelta(seconds=60), found.distance_m * 0.97)

    assert [run.id for run in history(deps, until)] == ["9001"]
    # A different run the same day still counts beside it.
    add_strava_run(deps, 9002, found.start + timedelta(hours=3), 5000.0)
    assert [run.id for run in history(deps, found.start + timedelta(hours=4))] == ["9001", "9002"]


def test_another_athletes_strava_run_does_not_replace_a_file_run(deps, athlete):
    add_athlete(deps, OTHER)
    data = run_gpx()
    found = read_activity("run.gpx", data)
    uploads.import_files(deps, athlete, [("run.gpx", data)])
    add_strava_run(deps, 9001, found.start, found.distance_m, athlete_id=OTHER)
    assert len(history(deps, found.start + timedelta(hours=1))) == 1


def test_limits_per_file_and_per_request(deps, athlete):
    small = run_gpx()
    limits = Limits(max_bytes=len(small) + 10, max_request_bytes=2 * len(small) + 10)
    later = [run_gpx(start=START + timedelta(days=d)) for d in (1, 2)]
    results = uploads.import_files(
        deps,
        athlete,
        [
            ("big.gpx", small + b" " * 100),
            ("one.gpx", small),
            ("two.gpx", later[0]),
            ("three.gpx", later[1]),
            ("unreadable.gpx", FileError("permission denied")),
        ],
        limits,
    )
    assert [(r.name, r.status) for r in results] == [
        ("big.gpx", "error"),
        ("one.gpx", "imported"),
        ("two.gpx", "imported"),
        ("three.gpx", "error"),
        ("unreadable.gpx", "error"),
    ]
    assert results[0].error.startswith("too large")
    assert "together exceed" in results[3].error
    assert results[4].error == "permission denied"
    assert len(rows(deps)) == 2


def test_an_unknown_athlete_reads_nothing(deps):
    def files():
        raise AssertionError("read before the athlete was checked")
        yield  # pragma: no cover

    with pytest.raises(uploads.UnknownAthlete):
        uploads.import_files(deps, 999, files())


def test_a_crash_in_one_file_does_not_stop_the_others(deps, athlete, monkeypatch):
    real = uploads.read_activity

    def flaky(name, data, limits=None, units="metric"):
        if name == "crash.gpx":
            raise RuntimeError("boom")
        return real(name, data, limits, units)

    monkeypatch.setattr(uploads, "read_activity", flaky)
    results = uploads.import_files(deps, athlete, [("crash.gpx", b"x"), ("ok.gpx", run_gpx())])
    assert [r.status for r in results] == ["error", "imported"]
    assert results[0].error == "could not be imported (RuntimeError)"


def test_a_walk_is_refused_with_its_pace_in_the_athletes_units(deps, athlete):
    with deps.session_factory() as session:
        session.get(Athlete, athlete).units = "imperial"
        session.commit()
    walk = gpx_doc(points(61, step_deg=0.00012)).encode()  # about 1.3 m/s, no type
    (result,) = uploads.import_files(deps, athlete, [("walk.gpx", walk)])
    assert result.status == "not a run"
    assert "per mi" in result.detail
    assert "per km" not in result.detail


# postrun gpx --import ------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch, database_url):
    for name, value in {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "POSTRUN_TOKEN_KEY": TOKEN_KEY,
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }.items():
        monkeypatch.setenv(name, value)


def invoke(*args):
    return CliRunner().invoke(gpx, [str(arg) for arg in args])


def test_cli_imports_into_the_database(cli_env, deps, athlete, tmp_path):
    bomb = tmp_path / "bomb.gpx"
    bomb.write_bytes(BOMB)
    result = invoke(GPX_RUN, FIT_RUN, RIDE, bomb, "--import", "--athlete", athlete)

    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{GPX_RUN}: imported run 3.1 km in 0:15:48, 2012-10-24 23:29 UTC"
    assert lines[1].startswith(f"{FIT_RUN}: imported run 9.0 km")
    assert lines[2] == f"{RIDE}: not imported: not a run (cycling, from the file's type)"
    assert lines[3].startswith(f"{bomb}: error: ")
    assert "2 run(s) imported for athlete 4242" in result.stderr
    assert sorted(row.file_name for row in rows(deps)) == sorted([GPX_RUN.name, FIT_RUN.name])

    again = invoke(GPX_RUN, "--import", "--athlete", athlete)
    assert again.exit_code == 0
    assert again.stdout.startswith(f"{GPX_RUN}: duplicate, not imported: run 3.1 km")
    assert len(rows(deps)) == 2


def test_cli_import_as_json(cli_env, deps, athlete):
    add_strava_run(deps, 9001, read_activity("f", FIT_RUN.read_bytes()).start, 9000.0)
    result = invoke(GPX_RUN, FIT_RUN, "--import", "--athlete", athlete, "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["athlete"] == athlete
    first, second = payload["files"]
    assert first["status"] == "imported"
    assert first["run"]["start"].startswith("2012-10-24T23:29")
    assert first["suggestion"] is None  # a run from 2012: no note applies
    assert "more than 8 weeks old" in first["detail"]
    assert second["status"] == "duplicate"
    assert "Morning Run" in second["detail"]


def test_cli_unknown_athlete_is_exit_2(cli_env, deps):
    result = invoke(GPX_RUN, "--import", "--athlete", 31337)
    assert result.exit_code == 2
    assert result.stderr == "error: no athlete 31337 in the database\n"
    assert result.stdout == ""


def test_cli_import_needs_an_athlete(cli_env):
    result = invoke(GPX_RUN, "--import")
    assert result.exit_code == 2
    assert "--import needs --athlete ID" in result.stderr


def test_downgrading_0004_drops_the_file_runs_only(deps, athlete, database_url):
    add_strava_run(deps, 9001, START - timedelta(days=3), 8000.0)
    uploads.import_files(deps, athlete, [("run.gpx", run_gpx())])
    deps.session_factory.kw["bind"].dispose()

    migrate.downgrade(database_url, "0003")
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            ids = connection.execute(sa.text("SELECT id FROM activities")).scalars().all()
    finally:
        engine.dispose()
    assert ids == [9001]
    migrate.upgrade(database_url)
    assert [(row.id, row.source) for row in rows(deps)] == [(9001, "strava")]


def _with_offset(data: bytes, offset: str) -> bytes:
    """The same GPX with every time written on a local clock instead of UTC."""
    clock = datetime.fromisoformat(f"2000-01-01T00:00:00{offset}").tzinfo

    def local(match: re.Match[bytes]) -> bytes:
        moment = datetime.fromisoformat(match.group(1).decode().replace("Z", "+00:00"))
        shifted = moment.astimezone(clock)
        return f"<time>{shifted.isoformat()}</time>".encode()

    return re.sub(rb"<time>([^<]+)</time>", local, data)


@pytest.mark.parametrize(
    ("zone", "offset", "expected_s"),
    [
        # The file's own offset wins over the athlete's zone.
        ("Europe/Paris", "+10:00", 36_000),
        ("America/Los_Angeles", "-03:30", -12_600),
        # Written in UTC: the athlete's zone at the run's start (LA in May: -07:00).
        ("America/Los_Angeles", None, -25_200),
        ("Australia/Sydney", None, 36_000),
        # No zone known for the athlete: UTC.
        (None, None, 0),
    ],
)
def test_a_file_run_takes_the_offset_its_times_imply(deps, athlete, zone, offset, expected_s):
    with deps.session_factory() as session:
        session.get(Athlete, athlete).timezone = zone
        session.commit()
    data = run_gpx(start=START)
    if offset is not None:
        data = _with_offset(data, offset)

    [result] = uploads.import_files(deps, athlete, [("run.gpx", data)])

    assert result.status == "imported"
    [row] = rows(deps)
    assert row.start == START
    assert row.utc_offset_s == expected_s
    assert as_run(row).day == (START + timedelta(seconds=expected_s)).date()
