"""The pieces behind the pages: token encryption, migration 0002, backfill, policy, chart."""

from __future__ import annotations

import stat
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from service.accounts.connect import connect_athlete
from service.accounts.connect import missing_scopes
from service.accounts.policy import write_policy
from service.accounts.tokens import fresh_tokens
from service.config import sqlite_url
from service.pipeline import backfill
from service.pipeline.admin import claim_stale_backfills
from service.pipeline.history import coaching_settings
from service.storage import crypto
from service.storage import migrate
from service.storage.db import make_engine
from service.storage.db import make_session_factory
from service.storage.models import Activity
from service.storage.models import Athlete
from service.web import chart as svg_chart
from tests.conftest import TOKEN_KEY

# Token encryption ------------------------------------------------------------------


def test_key_file_is_created_owner_only_and_reused(tmp_path):
    path = tmp_path / "token.key"
    key = crypto.ensure_key_file(path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert crypto.ensure_key_file(path) == key
    Fernet(key.encode())  # a valid key

    path.chmod(0o644)
    crypto.ensure_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_new_key_can_be_rotated_in():
    old, new = crypto.new_key(), crypto.new_key()
    before = crypto.TokenCipher(old).encrypt("abc")

    rotated = crypto.TokenCipher(f"{new},{old}")

    assert rotated.decrypt(before) == "abc"
    assert crypto.TokenCipher(new).decrypt(rotated.encrypt("abc")) == "abc"


def test_a_wrong_key_fails_without_showing_the_value():
    stored = crypto.TokenCipher(crypto.new_key()).encrypt("secret-token")
    with pytest.raises(crypto.TokenKeyError) as raised:
        crypto.TokenCipher(crypto.new_key()).decrypt(stored)
    assert "secret-token" not in str(raised.value)
    assert stored not in str(raised.value)
    assert "hidden" in repr(crypto.TokenCipher(crypto.new_key()))


def test_an_engine_without_a_key_cannot_touch_tokens(database_url):
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            session.add(Athlete(id=1, access_token="a", refresh_token="r", expires_at=0))
            with pytest.raises(sa.exc.StatementError, match="no token key"):
                session.commit()
    finally:
        engine.dispose()


def test_a_rotated_refresh_token_is_stored_encrypted(deps, control):
    created = control("POST", "/sandbox/athletes", json={})
    athlete_id = connect_athlete(deps, created["code"])
    control("POST", f"/sandbox/athletes/{athlete_id}/expire")
    with deps.session_factory() as session:
        athlete = session.get(Athlete, athlete_id)
        athlete.expires_at = 0
        session.commit()
        old_refresh = athlete.refresh_token
        fresh = fresh_tokens(deps, session, athlete)
        raw = session.execute(
            sa.text("SELECT refresh_token FROM athletes WHERE id = :id"), {"id": athlete_id}
        ).scalar_one()

    assert fresh.refresh_token != old_refresh
    assert fresh.refresh_token not in raw
    assert crypto.TokenCipher(TOKEN_KEY).decrypt(raw) == fresh.refresh_token


# Migration 0002 ---------------------------------------------------------------------


def test_0002_encrypts_existing_tokens_and_the_downgrade_restores_them(tmp_path, monkeypatch):
    monkeypatch.delenv("POSTRUN_TOKEN_KEY", raising=False)
    url = sqlite_url(tmp_path / "old.sqlite3")
    migrate.upgrade(url, "0001")
    engine = make_engine(url)
    insert = sa.text(
        "INSERT INTO athletes (id, firstname, access_token, refresh_token, expires_at, scope,"
        " units, equipment, level, circuits_per_week, needs_reauth, created_at) VALUES"
        " (7, 'Old', 'plain-access', 'plain-refresh', 0, '', 'strava', 'gym', 'auto', 3, 0,"
        " '2026-01-01 00:00:00')"
    )
    raw = sa.text("SELECT access_token, refresh_token FROM athletes")
    try:
        with engine.begin() as connection:
            connection.execute(insert)

        with pytest.raises(RuntimeError, match="POSTRUN_TOKEN_KEY"):
            migrate.upgrade(url)
        migrate.upgrade(url, token_key=TOKEN_KEY)

        with engine.connect() as connection:
            access, refresh = connection.execute(raw).one()
        assert "plain" not in access + refresh
        crypto.attach(engine, crypto.TokenCipher(TOKEN_KEY))
        with make_session_factory(engine)() as session:
            athlete = session.get(Athlete, 7)
            assert (athlete.access_token, athlete.refresh_token) == (
                "plain-access",
                "plain-refresh",
            )
            assert (athlete.paused, athlete.write_mode, athlete.include_volume) == (
                False,
                "write",
                True,
            )
            assert athlete.backfill_status == "none"

        migrate.downgrade(url, "0001", token_key=TOKEN_KEY)
        with engine.connect() as connection:
            assert connection.execute(raw).one() == ("plain-access", "plain-refresh")
            columns = {c["name"] for c in sa.inspect(connection).get_columns("athletes")}
        assert "paused" not in columns
        assert "write_mode" not in columns
    finally:
        engine.dispose()


def test_0002_needs_no_key_for_an_empty_database(tmp_path, monkeypatch):
    monkeypatch.delenv("POSTRUN_TOKEN_KEY", raising=False)
    url = sqlite_url(tmp_path / "fresh.sqlite3")
    migrate.upgrade(url)
    migrate.downgrade(url, "base")


# Backfill ---------------------------------------------------------------------------


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_backfill_imports_eight_weeks_of_runs_with_one_call_per_200(deps, sandbox, control):
    created = control("POST", "/sandbox/athletes", json={})
    athlete_id = connect_athlete(deps, created["code"])
    now = datetime.now(UTC).replace(microsecond=0)
    state = sandbox.state

    def upload(days_ago, **fields):
        base = {"start_date": iso(now - timedelta(days=days_ago)), "distance": 5000.0}
        return state.create_activity(athlete_id, {**base, "moving_time": 1500, **fields})

    runs = [upload(0.2 + i * 0.2) for i in range(230)]  # 46 days of runs
    upload(3, sport_type="Ride", type="Ride")
    upload(4, sport_type="Walk", type="Walk")
    upload(70)  # older than eight weeks
    # One run the pipeline annotated already: the backfill must not overwrite it.
    with deps.session_factory() as session:
        session.add(
            Activity(
                id=runs[0]["id"],
                athlete_id=athlete_id,
                name="annotated",
                sport_type="Run",
                start=now,
                distance_m=5000.0,
                moving_time_s=1500,
                is_run=True,
                status="annotated",
                written_block="— postrun\nx",
            )
        )
        session.commit()
    control("POST", "/sandbox/stats/reset")

    added = backfill.backfill_athlete(deps, athlete_id)

    assert added == 229
    calls = control("GET", "/sandbox/stats")["calls"]
    assert calls.get("GET /api/v3/athlete/activities") == 2  # 232 activities: 200 + 32
    with deps.session_factory() as session:
        stored = session.scalars(sa.select(Activity).where(Activity.athlete_id == athlete_id))
        by_status = {}
        for row in stored:
            by_status[row.status] = by_status.get(row.status, 0) + 1
        athlete = session.get(Athlete, athlete_id)
    assert by_status == {"imported": 229, "annotated": 1}
    assert athlete.backfill_status == "done"
    assert athlete.backfilled_at is not None

    assert backfill.backfill_athlete(deps, athlete_id) == 0


def test_backfill_of_a_gone_athlete_does_nothing(deps):
    assert backfill.backfill_athlete(deps, 424242) == 0


def test_backfill_marks_a_refused_token(deps, control, sandbox):
    created = control("POST", "/sandbox/athletes", json={})
    athlete_id = connect_athlete(deps, created["code"])
    with deps.session_factory() as session:
        token = session.get(Athlete, athlete_id).access_token
    control("POST", "/oauth/deauthorize", headers={"Authorization": f"Bearer {token}"})

    backfill.backfill_athlete(deps, athlete_id)

    with deps.session_factory() as session:
        assert session.get(Athlete, athlete_id).backfill_status == "failed"


def test_an_import_whose_task_is_lost_after_connecting_is_swept(deps, control, backfills):
    """Connecting schedules the sweeper's check of the import it queues."""
    athlete_id = connect_athlete(deps, control("POST", "/sandbox/athletes", json={})["code"])
    assert backfills == [athlete_id]
    connected = deps.clock()
    after = deps.settings.backfill_sweep_after_s

    deps.clock = lambda: connected + after - 5
    assert claim_stale_backfills(deps) == []
    deps.clock = lambda: connected + after + 5
    assert claim_stale_backfills(deps) == [athlete_id]


def test_connect_marks_the_backfill_pending_only_when_there_is_a_queue(deps, control):
    deps.enqueue_backfill = None  # as in the Stack's own Deps
    athlete_id = connect_athlete(deps, control("POST", "/sandbox/athletes", json={})["code"])
    with deps.session_factory() as session:
        assert session.get(Athlete, athlete_id).backfill_status == "none"


# Write policy and scopes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("paused", "mode", "write", "reason"),
    [
        (False, "write", True, ""),
        (True, "write", False, "paused"),
        (False, "preview", False, "preview only"),
        (True, "preview", False, "paused"),
    ],
)
def test_write_policy(paused, mode, write, reason):
    policy = write_policy(paused, mode)
    assert policy.write is write
    assert policy.reason.startswith(reason)
    assert policy.status == ("annotated" if write else "skipped")


@pytest.mark.parametrize(
    ("scope", "missing"),
    [
        ("read,activity:read_all,activity:write,profile:read_all", []),
        ("activity:read,activity:write", []),
        ("read,activity:read_all", ["activity:write"]),
        ("read", ["activity:read_all", "activity:write"]),
        ("", ["activity:read_all", "activity:write"]),
    ],
)
def test_missing_scopes(scope, missing):
    assert missing_scopes(scope) == missing


def test_coaching_settings_carry_include_volume():
    athlete = Athlete(units="metric", equipment="gym", level="auto", circuits_per_week=3)
    athlete.include_volume = False
    assert coaching_settings(athlete).include_volume is False


# Chart --------------------------------------------------------------------------------


def test_weekly_totals_use_weeks_starting_monday():
    today = date(2026, 12, 2)  # a Wednesday
    runs = [
        (date(2026, 11, 30), 5000.0),  # Monday: this week
        (date(2026, 11, 29), 7000.0),  # Sunday: last week
        (date(2026, 12, 1), 3000.0),
        (date(2026, 9, 6), 9000.0),  # 13 weeks back: left out
    ]
    weeks = svg_chart.weekly_totals(runs, today)
    assert len(weeks) == 12
    assert weeks[-1] == svg_chart.Week(date(2026, 11, 30), 8000.0)
    assert weeks[-2] == svg_chart.Week(date(2026, 11, 23), 7000.0)
    assert weeks[0].monday == date(2026, 9, 14)
    assert sum(w.distance_m for w in weeks) == 15000.0


def test_chart_draws_bars_a_band_and_escaped_text():
    weeks = [svg_chart.Week(date(2026, 9, 14) + timedelta(weeks=k), k * 1000.0) for k in range(12)]
    svg = svg_chart.weekly_chart(weeks, (20_000.0, 24_000.0), "metric")

    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert svg.count('class="bar"') == 12
    assert svg.count('class="band"') == 1
    assert "20–24 km" in svg
    assert "<script" not in svg
    imperial = svg_chart.weekly_chart(weeks, None, "imperial")
    assert "mi per week" in imperial
    assert 'class="band"' not in imperial
