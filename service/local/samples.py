"""The demo athlete's activities: real Strava payloads from ``demo_data/``, moved to now.

Each run keeps its own local time of day (mornings, as its athlete ran them, in
America/New_York, where they ran) and the days between runs; only the dates
move, so that the newest run ended today or yesterday, at least an hour ago.
Every call gives the same weeks at plausible hours. Thirty runs cover six and a
half weeks; the newest of them are repeated seven weeks earlier (same weekdays)
to fill the eight weeks the history import reads (docs/operations.md#the-demo).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DEMO_DATA = Path(__file__).parent / "demo_data"
FIELDS = (
    "name",
    "sport_type",
    "type",
    "distance",
    "moving_time",
    "elapsed_time",
    "total_elevation_gain",
    "manual",
    "trainer",
)
# Where this athlete ran: their payloads carry "(GMT-05:00) America/New_York".
ZONE = "America/New_York"
LIVE_RUNS = 5  # the newest runs, sent through the webhook one at a time
REPEAT_AFTER = timedelta(weeks=7)
HISTORY_SPAN = timedelta(days=55)  # inside the import's eight weeks (56 days)
ENDED_AGO = timedelta(hours=1)


@dataclasses.dataclass(frozen=True)
class Samples:
    zone: str
    history: list[dict[str, Any]]  # in the sandbox before the athlete connects
    live: list[dict[str, Any]]  # uploaded afterwards, in this order


def _load(name: str) -> Any:
    return json.loads((DEMO_DATA / name).read_text(encoding="utf-8"))


def _local(activity: dict[str, Any]) -> datetime:
    """The payload's local start, as a naive wall-clock time (Strava writes it with a Z)."""
    return datetime.fromisoformat(activity["start_date_local"].rstrip("Z"))


def _moved(activity: dict[str, Any], local: datetime, zone: str) -> dict[str, Any]:
    moved = {k: activity[k] for k in FIELDS if k in activity}
    start = local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    moved["start_date"] = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    moved["timezone"] = zone
    return moved


def samples(now: datetime) -> Samples:
    runs = sorted(_load("athlete_activities_page1.json"), key=lambda a: a["start_date"])
    newest = runs[-1]
    zone = ZONE
    # Whole days: every run keeps its local time of day and the days between runs. The
    # newest run lands on the latest day on which it had ended an hour before now.
    latest_end = (now - ENDED_AGO).astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    newest_end = _local(newest) + timedelta(seconds=newest["elapsed_time"])
    days = (latest_end.date() - newest_end.date()).days
    if newest_end + timedelta(days=days) > latest_end:
        days -= 1
    shift = timedelta(days=days)
    oldest_kept = _local(newest) - HISTORY_SPAN
    repeated = [(run, _local(run) - REPEAT_AFTER) for run in runs]
    placed = [(run, when) for run, when in repeated if when >= oldest_kept] + [
        (run, _local(run)) for run in runs
    ]
    moved = [_moved(run, when + shift, zone) for run, when in placed]
    history, live = moved[:-LIVE_RUNS], moved[-LIVE_RUNS:]
    # The athlete's own words on the last run, to show they are kept.
    live[-1]["description"] = _load("activity_run_detailed_strava-iphone-2018.json")["description"]
    ride_payload = _load("activity_ride_detailed_garmin-edge-1030.json")
    ride_day = _local(newest) + shift - timedelta(days=1)
    ride_local = datetime.combine(ride_day.date(), _local(ride_payload).time())
    ride = _moved(ride_payload, ride_local, zone)
    ride["description"] = ride_payload.get("description") or ""
    return Samples(zone, history, [*live[:-1], ride, live[-1]])
