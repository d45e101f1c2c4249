"""Strava's answers as plain dataclasses, and the parsing of an activity summary."""

from __future__ import annotations

import dataclasses
from datetime import UTC
from datetime import datetime
from typing import Any

from coaching import localtime


@dataclasses.dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: int


@dataclasses.dataclass(frozen=True, slots=True)
class AthleteData:
    id: int
    firstname: str
    measurement_preference: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class ActivityData:
    id: int
    athlete_id: int
    name: str
    description: str | None
    sport_type: str | None
    activity_type: str | None
    distance_m: float
    moving_time_s: int
    start: datetime
    manual: bool
    trainer: bool
    # The athlete's clock at the start: seconds east of UTC, and the IANA zone if given.
    utc_offset_s: int = 0
    timezone: str | None = None
    # Strava's workout_type as it sent it (runs: 0 default, 1 race, 2 long run, 3 workout;
    # docs/coaching.md#races-and-tapers), or None when it sent none.
    workout_type: int | None = None


def summary(item: dict[str, Any]) -> ActivityData:
    """An activity summary from GET /athlete/activities, as plain data."""
    raw_start = str(item.get("start_date") or "1970-01-01T00:00:00Z")
    start = datetime.fromisoformat(raw_start.replace("Z", "+00:00"))
    start = start.astimezone(UTC) if start.tzinfo else start.replace(tzinfo=UTC)
    athlete = item.get("athlete") or {}
    return ActivityData(
        id=int(item["id"]),
        athlete_id=int(athlete.get("id") or 0),
        name=str(item.get("name") or ""),
        description=None,
        sport_type=item.get("sport_type") or None,
        activity_type=item.get("type") or None,
        distance_m=float(item.get("distance") or 0.0),
        moving_time_s=int(item.get("moving_time") or 0),
        start=start,
        manual=bool(item.get("manual")),
        trainer=bool(item.get("trainer")),
        utc_offset_s=local_offset(item.get("utc_offset"), _local_time(item), start),
        timezone=zone_name(item.get("timezone")),
        workout_type=workout_type(item.get("workout_type")),
    )


def _local_time(item: dict[str, Any]) -> datetime | None:
    raw = item.get("start_date_local")
    try:
        return datetime.fromisoformat(str(raw).replace("Z", "")) if raw else None
    except ValueError:
        return None


def local_offset(utc_offset: Any, start_local: datetime | None, start: datetime) -> int:
    """Seconds east of UTC on the athlete's clock at ``start`` (aware, UTC).

    Strava's ``utc_offset`` says it directly; without it, ``start_date_local`` (the
    wall-clock time, written with a misleading "Z") minus ``start_date`` does.
    Anything beyond 18 hours is noise: 0 (UTC) then.
    """
    seconds: float | None = None
    if isinstance(utc_offset, int | float) and not isinstance(utc_offset, bool):
        seconds = float(utc_offset)
    elif start_local is not None:
        wall = start_local.replace(tzinfo=None)
        seconds = (wall - start.astimezone(UTC).replace(tzinfo=None)).total_seconds()
    if seconds is None or not abs(seconds) <= localtime.MAX_OFFSET_S:
        return 0
    return round(seconds / 60) * 60


# Strava's workout types run from 0 to 12 (runs 0-3, rides 10-12); anything else is noise.
MAX_WORKOUT_TYPE = 99


def workout_type(value: Any) -> int | None:
    """Strava's ``workout_type`` as a whole number, or None when absent or not one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None  # also NaN and infinities
    if not 0 <= value <= MAX_WORKOUT_TYPE:
        return None
    return int(value)


def zone_name(label: Any) -> str | None:
    """The IANA name in Strava's "(GMT-08:00) America/Los_Angeles", if it is a known zone."""
    if not label:
        return None
    name = str(label).strip()
    if name.startswith("(") and ") " in name:
        name = name.split(") ", 1)[1].strip()
    return name if localtime.is_zone(name) else None
