"""Days and weeks on the athlete's own calendar (issue 8: "the athlete's weeks").

A run's day is the day on the clock where it was run (Strava's ``start_date_local``,
carried as ``Run.utc_offset_s``). Rolling 7- and 28-day windows keep their length;
only the day each run falls on moves.
"""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from strategies import histories
from strategies import settings

from coaching import AthleteSettings
from coaching import Run
from coaching import localtime
from coaching import suggest
from coaching.document import InputError
from coaching.document import parse_request
from coaching.history import build_timeline

KM = 1000.0


def local_run(run_id: str, wall_clock: str, zone: str, km: float = 10.0) -> Run:
    """A run that started at ``wall_clock`` on the clocks of ``zone``, as Strava reports it."""
    local = datetime.fromisoformat(wall_clock).replace(tzinfo=localtime.zone(zone))
    start = local.astimezone(UTC)
    return Run(
        id=run_id,
        start=start,
        distance_m=km * KM,
        moving_time_s=round(km * 330),
        utc_offset_s=localtime.offset_at(start, zone),
    )


def this_week(runs: list[Run], run: Run, today: date | None = None) -> float:
    return build_timeline(runs, run, today).this_week()


# 2026-11-22 is a Sunday, 2026-11-23 the Monday after it.
@pytest.mark.parametrize(
    ("zone", "sunday_night", "utc_day"),
    [
        # Behind UTC: 22:30 on Sunday in Los Angeles is already Monday in UTC.
        ("America/Los_Angeles", "2026-11-22T22:30", date(2026, 11, 23)),
        # Ahead of UTC: 23:30 on Sunday in Sydney is Sunday midday in UTC, but the
        # Monday 06:00 run after it is still Sunday in UTC.
        ("Australia/Sydney", "2026-11-22T23:30", date(2026, 11, 22)),
    ],
)
def test_a_sunday_night_run_counts_in_the_week_it_was_run(zone, sunday_night, utc_day):
    weekday_run = local_run("tue", "2026-11-17T07:00", zone, km=8)
    late = local_run("sun", sunday_night, zone, km=21)
    assert late.start.date() == utc_day
    assert late.day == date(2026, 11, 22)
    # In the week of Tuesday's run: 8 + 21 km, on the athlete's Sunday.
    assert this_week([weekday_run, late], late) == pytest.approx(29 * KM)
    # The Monday morning run after it opens a new week (in UTC it would not, in Sydney).
    monday = local_run("mon", "2026-11-23T06:00", zone, km=5)
    assert monday.day == date(2026, 11, 23)
    assert this_week([weekday_run, late, monday], monday) == pytest.approx(5 * KM)


def test_a_monday_morning_run_in_sydney_does_not_join_the_week_before():
    sunday = local_run("sun", "2026-11-22T08:00", "Australia/Sydney", km=12)
    monday = local_run("mon", "2026-11-23T06:00", "Australia/Sydney", km=6)
    assert monday.start.date() == date(2026, 11, 22)  # Sunday, in UTC
    suggestion = suggest(AthleteSettings(timezone="Australia/Sydney"), [sunday, monday], monday)
    assert suggestion.volume.this_week_m == pytest.approx(6 * KM)
    assert suggestion.volume.last_7_days_m == pytest.approx(18 * KM)
    assert suggestion.volume.week_done_m == pytest.approx(6 * KM)
    assert "This week: 6.0 km so far" in suggestion.text


@pytest.mark.parametrize(
    ("zone", "before", "after"),
    [
        # US daylight time ended on Sunday 1 Nov 2026 (-07:00 to -08:00).
        ("America/Los_Angeles", "2026-10-31T23:30", "2026-11-01T23:30"),
        # EU summer time began on Sunday 29 Mar 2026 (+01:00 to +02:00).
        ("Europe/Berlin", "2026-03-28T23:30", "2026-03-29T23:30"),
        # Sydney's daylight time began on Sunday 4 Oct 2026 (+10:00 to +11:00).
        ("Australia/Sydney", "2026-10-03T23:30", "2026-10-04T23:30"),
    ],
)
def test_late_runs_either_side_of_a_daylight_saving_change_keep_their_days(zone, before, after):
    saturday = local_run("sat", before, zone, km=10)
    sunday = local_run("sun", after, zone, km=15)
    assert saturday.utc_offset_s != sunday.utc_offset_s
    assert (saturday.day.weekday(), sunday.day.weekday()) == (5, 6)
    timeline = build_timeline([saturday, sunday], sunday, None)
    assert timeline.today == sunday.day
    assert timeline.daily_m == {saturday.day: 10 * KM, sunday.day: 15 * KM}
    assert timeline.this_week() == pytest.approx(25 * KM)


def test_the_rolling_windows_keep_their_length_on_the_local_calendar():
    zone = "America/Los_Angeles"
    # Eight runs, one every evening at 21:00 local (the next day in UTC).
    runs = [local_run(f"d{n}", f"2026-06-{n + 1:02d}T21:00", zone, km=5) for n in range(8)]
    volume = suggest(AthleteSettings(timezone=zone), runs, runs[-1]).volume
    # 1 to 8 June local; the last 7 days are 2 to 8 June: seven runs, not eight or six.
    assert volume.last_7_days_m == pytest.approx(35 * KM)
    # Mon 1 June to Mon 8 June: this week holds the Monday run only.
    assert runs[-1].day == date(2026, 6, 8)
    assert volume.this_week_m == pytest.approx(5 * KM)


FAST = hsettings(max_examples=60, deadline=None)


@FAST
@given(settings, histories(max_runs=30), st.integers(-12 * 60, 14 * 60), st.data())
def test_the_same_wall_clock_times_anywhere_give_the_same_advice(athlete, runs, minutes, data):
    """Move every run to another fixed offset, same local times: only the clock label may change."""
    shift = timedelta(minutes=minutes)
    moved = [
        Run(r.id, r.start - shift, r.distance_m, r.moving_time_s, utc_offset_s=minutes * 60)
        for r in runs
    ]
    index = data.draw(st.integers(0, len(runs) - 1))
    here = suggest(athlete, runs, runs[index])
    there = suggest(athlete, moved, moved[index])
    assert [r.day for r in moved] == [r.day for r in runs]
    assert there.volume == here.volume
    assert there.circuit == here.circuit
    if here.next_circuit_at is not None:
        assert there.next_circuit_at == here.next_circuit_at - shift


def test_offsets_beyond_eighteen_hours_are_refused():
    with pytest.raises(ValueError, match="18 hours"):
        Run("x", datetime(2026, 1, 1, tzinfo=UTC), 1000, 300, utc_offset_s=19 * 3600)


def test_settings_refuse_an_unknown_time_zone():
    with pytest.raises(ValueError, match="timezone"):
        AthleteSettings(timezone="Mars/Olympus_Mons")


def document(start: str, zone: str | None = None) -> dict:
    athlete = {"timezone": zone} if zone else {}
    run = {"id": 1, "start": start, "distance_m": 5000, "moving_time_s": 1500}
    return {"athlete": athlete, "runs": [run]}


def test_a_document_start_with_an_offset_keeps_it():
    _, runs, _ = parse_request(document("2026-11-23T06:00:00+11:00"))
    assert runs[0].start == datetime(2026, 11, 22, 19, 0, tzinfo=UTC)
    assert runs[0].utc_offset_s == 11 * 3600
    assert runs[0].day == date(2026, 11, 23)


def test_a_document_start_in_utc_takes_the_athletes_time_zone():
    _, runs, _ = parse_request(document("2026-11-23T06:30:00Z", "America/Los_Angeles"))
    assert runs[0].utc_offset_s == -8 * 3600
    assert runs[0].day == date(2026, 11, 22)
    # Without a time zone, UTC.
    _, runs, _ = parse_request(document("2026-11-23T06:30:00Z"))
    assert (runs[0].utc_offset_s, runs[0].day) == (0, date(2026, 11, 23))


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", 7, " UTC"])
def test_a_document_with_a_bad_time_zone_names_the_field(zone):
    doc = document("2026-11-23T06:30:00Z")
    doc["athlete"]["timezone"] = zone
    with pytest.raises(InputError, match=r"^athlete\.timezone: must be an IANA time zone"):
        parse_request(doc)


def test_fixed_offsets_are_accepted_from_timestamps():
    moment = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=-3, minutes=-30)))
    assert localtime.implied_offset(moment, "Europe/Paris") == -12_600
