"""The settings page shows the history filling, when the first note comes, and local weeks.

No JavaScript: everything here is what a reload of /settings shows.
"""

from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from coaching import localtime
from service.pipeline import backfill
from service.pipeline.errors import RetryLater
from service.pipeline.events import WebhookEvent
from service.pipeline.intake import store_event
from service.pipeline.processing import BACKFILL_WAIT
from service.pipeline.processing import events_waiting_for_import
from service.pipeline.processing import process_event
from service.storage.models import Activity
from service.storage.models import Athlete
from service.web.chart import MONTHS
from tests.conftest import SUBSCRIPTION_ID
from tests.web.conftest import add_run
from tests.web.conftest import connect

TAG = re.compile(r"<[^>]+>")


def shown(client, testid: str) -> str | None:
    """The text of the element with ``data-testid``, tags and runs of spaces removed."""
    page = client.get("/settings").get_data(as_text=True)
    found = re.search(rf'data-testid="{testid}">(.*?)</p>', page, re.S)
    return " ".join(TAG.sub("", found.group(1)).split()) if found else None


def strava_run(control, athlete_id: int, start: datetime, zone: str, km: float = 8.0) -> dict:
    activity = {
        "name": "Run",
        "sport_type": "Run",
        "distance": km * 1000,
        "moving_time": round(km * 330),
        "elapsed_time": round(km * 340),
        "start_date": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timezone": zone,
    }
    return control(
        "POST", "/sandbox/activities", json={"athlete_id": athlete_id, "activity": activity}
    )


def update_athlete(deps, athlete_id: int, **values) -> None:
    with deps.session_factory() as session:
        athlete = session.get(Athlete, athlete_id)
        for name, value in values.items():
            setattr(athlete, name, value)
        session.commit()


# The backfill's progress -----------------------------------------------------------------


def test_the_backfill_shows_runs_found_page_by_page_then_done(client, sandbox, control, deps):
    athlete_id = connect(client, sandbox, control, firstname="Kip")
    assert shown(client, "backfill") == (
        "Reading your last eight weeks of runs from Strava: 0 runs found so far."
        " Reload the page to see how it goes."
    )
    now = datetime.now(UTC).replace(microsecond=0)
    for n in range(230):  # two pages: 200, then 30
        strava_run(control, athlete_id, now - timedelta(hours=5 * n + 1), "Europe/Paris", 5)
    seen = []
    reads = deps.strava.list_activities

    def read_and_look(*args, **kwargs):
        seen.append(shown(client, "backfill"))  # a reload just before each page is read
        return reads(*args, **kwargs)

    deps.strava.list_activities = read_and_look
    backfill.backfill_athlete(deps, athlete_id)

    assert [text.split(":")[1].split(".")[0].strip() for text in seen] == [
        "0 runs found so far",
        "200 runs found so far",
    ]
    assert shown(client, "backfill") == (
        "Your last eight weeks are in: 230 runs found on Strava, counted in the figures below."
    )


def test_a_failed_backfill_says_the_history_fills_from_new_runs(client, sandbox, control, deps):
    athlete_id = connect(client, sandbox, control)
    backfill.mark_failed(deps, athlete_id)
    assert shown(client, "backfill").startswith("Your earlier runs could not be read from Strava")


def test_the_backfill_keeps_local_offsets_and_learns_the_time_zone(client, sandbox, control, deps):
    athlete_id = connect(client, sandbox, control)
    now = datetime.now(UTC).replace(microsecond=0)
    older = strava_run(control, athlete_id, now - timedelta(days=20), "America/Los_Angeles")
    newer = strava_run(control, athlete_id, now - timedelta(days=2), "Australia/Sydney")

    backfill.backfill_athlete(deps, athlete_id)

    with deps.session_factory() as session:
        offsets = {row.id: row.utc_offset_s for row in session.query(Activity)}
        assert session.get(Athlete, athlete_id).timezone == "Australia/Sydney"
    assert offsets == {older["id"]: older["utc_offset"], newer["id"]: newer["utc_offset"]}
    assert shown(client, "zone") == (
        "Weeks run Monday to Sunday on Australia/Sydney time, the time zone of your latest"
        " Strava activity."
    )


# The first note ----------------------------------------------------------------------------


def test_the_first_note_waits_for_the_import_then_for_the_next_run(client, sandbox, control, deps):
    athlete_id = connect(client, sandbox, control)
    assert shown(client, "first-note") == (
        "Your first note goes in about 2 minutes after your next run reaches Strava, once the"
        " import above is done. The wait leaves you time to edit the activity first."
    )
    update_athlete(deps, athlete_id, backfill_status="done")
    assert shown(client, "first-note") == (
        "Your first note goes in about 2 minutes after your next run reaches Strava."
        " The wait leaves you time to edit the activity first."
    )


def test_a_queued_run_shows_when_its_note_is_due_on_the_athletes_clock(
    client, sandbox, control, deps
):
    athlete_id = connect(client, sandbox, control)
    update_athlete(deps, athlete_id, backfill_status="done", timezone="Asia/Kolkata")
    received = deps.clock()
    event = WebhookEvent("activity", 77, "create", athlete_id, SUBSCRIPTION_ID, int(received), {})
    store_event(deps, event, received)

    due = datetime.fromtimestamp(received, UTC) + timedelta(minutes=2)
    expected = localtime.when(due, "Asia/Kolkata")
    assert expected.endswith("IST")
    assert (
        shown(client, "first-note")
        == f"A run of yours is waiting: its note is due from {expected}."
    )


def test_no_first_note_line_once_a_note_is_written(client, sandbox, control, deps):
    athlete_id = connect(client, sandbox, control)
    add_run(deps, athlete_id, 5, written_block="— postrun\nBack circuit")
    assert shown(client, "first-note") is None


@pytest.mark.parametrize(
    ("values", "sentence"),
    [
        ({"paused": True}, "Paused: no note goes to Strava until you resume."),
        (
            {"write_mode": "preview"},
            "Preview only: your runs get their notes on this page, not on Strava.",
        ),
    ],
)
def test_paused_or_preview_says_so_instead(client, sandbox, control, deps, values, sentence):
    athlete_id = connect(client, sandbox, control)
    update_athlete(deps, athlete_id, **values)
    assert shown(client, "first-note") == sentence


def test_a_run_waits_for_a_running_backfill_but_not_for_ever(client, sandbox, control, deps):
    athlete_id = connect(client, sandbox, control)  # the backfill is now pending
    activity = strava_run(control, athlete_id, datetime.now(UTC) - timedelta(hours=1), "UTC")
    event = WebhookEvent(
        "activity", activity["id"], "create", athlete_id, SUBSCRIPTION_ID, int(deps.clock()), {}
    )
    event_id, _ = store_event(deps, event, deps.clock())
    control("POST", "/sandbox/stats/reset")

    with pytest.raises(RetryLater, match="eight-week import"):
        process_event(deps, event_id)
    assert control("GET", "/sandbox/stats")["total"] == 0  # waiting costs no API call

    later = deps.clock() + BACKFILL_WAIT.total_seconds() + 1
    deps.clock = lambda: later
    assert process_event(deps, event_id) == "done: annotated"


def test_runs_waiting_for_the_import_are_handed_on_when_it_ends(client, sandbox, control, deps):
    """Issue 15, item 5: the wait ends with the import, not at the deferral's next check."""
    athlete_id = connect(client, sandbox, control)
    activity = strava_run(control, athlete_id, datetime.now(UTC) - timedelta(hours=1), "UTC")
    received = deps.clock()
    event = WebhookEvent("activity", activity["id"], "create", athlete_id, SUBSCRIPTION_ID, 1, {})
    event_id, _ = store_event(deps, event, received)
    with pytest.raises(RetryLater):
        process_event(deps, event_id)
    other = WebhookEvent("activity", 1, "create", athlete_id, SUBSCRIPTION_ID, 2, {})
    store_event(deps, other, received)  # pending, but not waiting for the import
    # Three seconds after arrival: the rest of the processing delay is still to wait.
    deps.clock = lambda: received + 3

    waiting = events_waiting_for_import(deps, athlete_id)

    assert waiting == [(event_id, pytest.approx(deps.settings.processing_delay_s - 3))]
    backfill.backfill_athlete(deps, athlete_id)
    assert process_event(deps, event_id) == "done: annotated"
    assert events_waiting_for_import(deps, athlete_id) == []


# Weeks on the athlete's calendar -------------------------------------------------------------


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Pacific/Auckland"])
def test_the_chart_counts_runs_in_their_local_weeks(client, sandbox, control, deps, zone):
    """Sunday 23:30 is Monday in UTC west of it; Monday 06:00 is Sunday in UTC east of it."""
    athlete_id = connect(client, sandbox, control)
    update_athlete(deps, athlete_id, timezone=zone)
    this_monday = localtime.week_start(localtime.today_in(datetime.now(UTC), zone))
    last_monday = this_monday - timedelta(days=7)
    for run_id, day, hour, km in (
        (9, this_monday - timedelta(days=1), 23, 12.0),
        (10, this_monday, 6, 5.0),
    ):
        local = datetime.combine(day, datetime.min.time()).replace(hour=hour, tzinfo=ZoneInfo(zone))
        start = local.astimezone(UTC)
        offset = localtime.offset_at(start, zone)
        add_run(deps, athlete_id, run_id, distance_m=km * 1000, start=start, utc_offset_s=offset)

    page = client.get("/settings").get_data(as_text=True)

    def tip(monday):
        return f"Week of {monday.day} {MONTHS[monday.month - 1]}: "

    assert f"{tip(last_monday)}12 km" in page
    assert f"{tip(this_monday)}5 km" in page
