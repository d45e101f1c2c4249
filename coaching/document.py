"""The JSON request that ``postrun suggest`` reads, checked field by field.

Works on already-decoded data (dicts, lists, strings, numbers): no file or
stream handling here. Every error names the field it is about.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

from coaching import localtime
from coaching.model import EQUIPMENT
from coaching.model import LEVELS
from coaching.model import UNITS
from coaching.model import WORKOUT_TYPES
from coaching.model import AthleteSettings
from coaching.model import GoalRace
from coaching.model import Run
from coaching.runs import RUN_SPORT_TYPES
from coaching.suggest import Suggestion
from coaching.suggest import suggest

# Beyond these a value is a mistake, not a run: no single run covers 1,000 km or
# lasts a week, and Strava (and GPS watches for runners) postdate 1990.
MAX_DISTANCE_M = 1_000_000.0
MAX_MOVING_TIME_S = 7 * 24 * 3600
EARLIEST = date(1990, 1, 1)
LATEST = date(2100, 1, 1)
# Strava's workout_type for runs: 0 default, 1 race, 2 long run, 3 workout.
STRAVA_WORKOUT_TYPES: dict[int, str | None] = {0: None, 1: "race", 2: "long", 3: "workout"}


class InputError(ValueError):
    """The request is not usable; the message names the field, e.g. ``runs[2].distance_m``."""


def _fail(field: str, problem: str) -> InputError:
    return InputError(f"{field}: {problem}")


def _choice(athlete: Mapping[str, Any], key: str, options: tuple[str, ...]) -> str | None:
    if key not in athlete:
        return None
    value = athlete[key]
    if value not in options:
        raise _fail(f"athlete.{key}", f"must be one of {', '.join(options)}")
    return str(value)


def parse_settings(raw: Any) -> AthleteSettings:
    """``athlete``: every field optional; the defaults are AthleteSettings'."""
    if raw is None:
        return AthleteSettings()
    if not isinstance(raw, Mapping):
        raise _fail("athlete", "must be an object")
    fields: dict[str, Any] = {}
    for key, options in (("units", UNITS), ("equipment", EQUIPMENT), ("level", LEVELS)):
        value = _choice(raw, key, options)
        if value is not None:
            fields[key] = value
    if "circuits_per_week" in raw:
        per_week = raw["circuits_per_week"]
        if isinstance(per_week, bool) or not isinstance(per_week, int) or not 1 <= per_week <= 4:
            raise _fail("athlete.circuits_per_week", "must be a whole number from 1 to 4")
        fields["circuits_per_week"] = per_week
    if "timezone" in raw:
        if not localtime.is_zone(raw["timezone"]):
            raise _fail("athlete.timezone", "must be an IANA time zone such as Europe/Paris")
        fields["timezone"] = raw["timezone"]
    if raw.get("goal_race") is not None:
        fields["goal_race"] = parse_goal_race(raw["goal_race"])
    return AthleteSettings(**fields)


def parse_goal_race(raw: Any) -> GoalRace:
    """``athlete.goal_race``: {"date": "YYYY-MM-DD", "distance_m": 42195}."""
    where = "athlete.goal_race"
    if not isinstance(raw, Mapping):
        raise _fail(where, 'must be an object like {"date": "2026-10-04", "distance_m": 42195}')
    for key in ("date", "distance_m"):
        if key not in raw:
            raise _fail(f"{where}.{key}", "is missing")
    day = _date(f"{where}.date", raw["date"])
    distance = _number(f"{where}.distance_m", raw["distance_m"], MAX_DISTANCE_M)
    if distance <= 0:
        raise _fail(f"{where}.distance_m", "must be a number > 0")
    return GoalRace(day, distance)


def parse_workout_type(field: str, value: Any) -> str | None:
    """Strava's integer (0-3) or one of "race", "long", "workout"; null is an ordinary run."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value in STRAVA_WORKOUT_TYPES:
        return STRAVA_WORKOUT_TYPES[value]
    if isinstance(value, str) and value in WORKOUT_TYPES:
        return value
    raise _fail(field, 'must be 0, 1, 2, 3 (Strava\'s run types) or "race", "long", "workout"')


def _in_range(field: str, day: date) -> None:
    if not EARLIEST <= day < LATEST:
        raise _fail(field, f"must be between {EARLIEST.isoformat()} and 2099-12-31")


def _date(field: str, raw: Any) -> date:
    if not isinstance(raw, str):
        raise _fail(field, "must be a date like 2026-03-01")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise _fail(field, "must be a date like 2026-03-01") from None
    _in_range(field, day)
    return day


def parse_today(raw: Any) -> date | None:
    return None if raw is None else _date("today", raw)


def _number(field: str, value: Any, maximum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(field, "must be a number >= 0")
    if value < 0:
        raise _fail(field, "must be a number >= 0")
    if value > maximum:
        raise _fail(field, f"must be at most {maximum:,.0f}")
    return float(value)


def _start(field: str, value: Any, zone: str) -> tuple[datetime, int]:
    """The start in UTC and the athlete's UTC offset then.

    A time written with a non-zero offset ("2026-03-01T07:30:00+11:00") carries its
    own; "Z" or no offset means UTC, and the athlete's time zone gives the offset.
    """
    if not isinstance(value, str):
        raise _fail(field, "must be an ISO-8601 date-time such as 2026-03-01T07:30:00Z")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(field, "must be an ISO-8601 date-time such as 2026-03-01T07:30:00Z") from None
    offset = moment.utcoffset()
    if offset is not None and abs(offset.total_seconds()) > localtime.MAX_OFFSET_S:
        raise _fail(field, "has a UTC offset beyond 18 hours")
    try:
        utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 shifted by its offset leaves datetime's range
        raise _fail(field, f"must be between {EARLIEST.isoformat()} and 2099-12-31") from None
    _in_range(field, utc.date())
    return utc, localtime.implied_offset(moment, zone)


def parse_run(raw: Any, index: int, zone: str = localtime.UTC_NAME) -> Run:
    where = f"runs[{index}]"
    if not isinstance(raw, Mapping):
        raise _fail(where, "must be an object")
    for key in ("id", "start", "distance_m", "moving_time_s"):
        if key not in raw:
            raise _fail(f"{where}.{key}", "is missing")
    run_id = raw["id"]
    if isinstance(run_id, bool) or not isinstance(run_id, str | int) or str(run_id).strip() == "":
        raise _fail(f"{where}.id", "must be a non-empty string or a whole number")
    sport_type = raw.get("sport_type", "Run")
    # A list or an object is unhashable: checked as a string first, never looked up.
    if not isinstance(sport_type, str) or sport_type not in RUN_SPORT_TYPES:
        raise _fail(f"{where}.sport_type", f"must be one of {', '.join(sorted(RUN_SPORT_TYPES))}")
    start, offset = _start(f"{where}.start", raw["start"], zone)
    circuit = raw.get("circuit", False)
    if not isinstance(circuit, bool):
        raise _fail(f"{where}.circuit", "must be true or false")
    return Run(
        id=str(run_id),
        start=start,
        utc_offset_s=offset,
        distance_m=_number(f"{where}.distance_m", raw["distance_m"], MAX_DISTANCE_M),
        moving_time_s=round(
            _number(f"{where}.moving_time_s", raw["moving_time_s"], MAX_MOVING_TIME_S)
        ),
        sport_type=sport_type,
        workout_type=parse_workout_type(f"{where}.workout_type", raw.get("workout_type")),
        circuit=circuit,
    )


def parse_request(doc: Any) -> tuple[AthleteSettings, list[Run], date | None]:
    """Check a decoded request and return its settings, runs and ``today``.

    Raises InputError naming the first bad field.
    """
    if not isinstance(doc, Mapping):
        raise _fail("document", "must be a JSON object")
    settings = parse_settings(doc.get("athlete"))
    today = parse_today(doc.get("today"))
    raw_runs = doc.get("runs")
    if not isinstance(raw_runs, list) or not raw_runs:
        raise _fail("runs", "must be a non-empty list of runs")
    runs: list[Run] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_runs):
        run = parse_run(raw, index, settings.timezone)
        if run.id in seen:
            raise _fail(f"runs[{index}].id", f"repeats the id {run.id!r}")
        seen.add(run.id)
        runs.append(run)
    latest = latest_run(runs)
    if today is not None and today < latest.day:
        raise _fail("today", f"must not be before the latest run ({latest.day})")
    return settings, runs, today


def latest_run(runs: list[Run]) -> Run:
    """The run with the latest start; among equal starts, the one listed last."""
    return max(reversed(runs), key=lambda r: r.start)


def suggest_from_document(doc: Any) -> Suggestion:
    """The note for the document's latest run, with its other runs as history."""
    settings, runs, today = parse_request(doc)
    return suggest(settings, runs, latest_run(runs), today)
