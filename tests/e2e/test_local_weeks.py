"""The athlete's weeks through the real pipeline: Strava's local time reaches the note.

The sandbox derives ``start_date_local``, ``timezone`` and ``utc_offset`` from each
activity's zone exactly as Strava's payloads carry them; the worker reads them with
stravalib and counts each run on the athlete's own calendar.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from service.pipeline.description import MARKER
from service.storage.models import Activity
from service.storage.models import Athlete
from tests.e2e.conftest import run_payload

pytestmark = pytest.mark.e2e


def post_run(stack, athlete, zone: str, wall_clock: str, km: float) -> int:
    start = datetime.fromisoformat(wall_clock).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    payload = run_payload(
        start_date=start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        timezone=zone,
        distance=km * 1000,
        moving_time=round(km * 330),
        description="my words",
    )
    activity_id = stack.upload(athlete, payload)["id"]
    stack.wait_idle()  # one after the other, as runs come: each note sees the runs before
    return activity_id


def note_of(stack, activity_id: int) -> str:
    text = stack.activity(activity_id)["description"]
    assert text.startswith("my words")
    assert text.count(MARKER) == 1
    return text


def test_a_sunday_night_run_in_los_angeles_across_the_dst_change(stack):
    athlete = stack.connect_athlete(firstname="Angeleno")
    zone = "America/Los_Angeles"
    # Tuesday in daylight time (-07:00); Sunday night after the change back (-08:00),
    # which in UTC is already Monday 06:30; then Monday morning.
    tuesday = post_run(stack, athlete, zone, "2026-10-27T08:00", 8)
    sunday = post_run(stack, athlete, zone, "2026-11-01T22:30", 21)
    monday = post_run(stack, athlete, zone, "2026-11-02T06:00", 5)

    assert "This week: 8.0 km so far" in note_of(stack, tuesday)
    # Sunday night in Los Angeles is Monday in UTC, but still Sunday's week: 8 + 21 km.
    assert "This week: 29 km so far" in note_of(stack, sunday)
    # Monday opens a new week, whose target comes from the week just completed.
    assert "This week: 5.0 of 29–32 km" in note_of(stack, monday)
    with stack.deps.session_factory() as session:
        offsets = {
            row.id: row.utc_offset_s
            for row in session.query(Activity).filter(Activity.athlete_id == athlete)
        }
        assert session.get(Athlete, athlete).timezone == zone
    assert offsets == {tuesday: -7 * 3600, sunday: -8 * 3600, monday: -8 * 3600}


def test_a_monday_morning_run_in_sydney_opens_a_new_week(stack):
    athlete = stack.connect_athlete(firstname="Sydneysider")
    zone = "Australia/Sydney"
    post_run(stack, athlete, zone, "2026-11-22T08:00", 12)
    # 06:00 on Monday in Sydney is 19:00 on Sunday in UTC.
    monday = post_run(stack, athlete, zone, "2026-11-23T06:00", 6)

    # Monday's 6 km opens a week of its own; Sunday's 12 km stays in the week before.
    assert "This week: 6.0 km so far" in note_of(stack, monday)


def test_the_next_circuit_is_announced_on_the_athletes_clock(stack):
    athlete = stack.connect_athlete(firstname="Parisienne")
    zone = "Europe/Paris"
    post_run(stack, athlete, zone, "2026-11-16T18:00", 10)
    # A day later: no circuit (48 h apart); the next is due Wed 18 Nov at 18:00 Paris time.
    next_day = post_run(stack, athlete, zone, "2026-11-17T18:00", 10)

    assert "next with your first run from Wed 18 Nov 18:00 CET." in note_of(stack, next_day)
