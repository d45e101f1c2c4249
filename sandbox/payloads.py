"""Strava-shaped JSON built from the real payloads in ``sandbox/data/``.

The templates are real Strava answers (see ``data/NOTICE.md``). Building from them, instead
of writing dicts by hand, keeps every key and value type that Strava serves.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import secrets
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

RUN_TEMPLATE = "activity_run_detailed_strava-iphone-2018.json"
ATHLETE_TEMPLATE = "athlete_detailed.json"
TOKEN_TEMPLATE = "oauth_token_authorization-code.json"  # noqa: S105  # a file name

# Keys of a DetailedActivity that the SummaryActivity of GET /athlete/activities lacks
# (compare the real list athlete_activities_page1.json with the detailed run template).
DETAILED_ONLY_KEYS = frozenset(
    {
        "description",
        "calories",
        "perceived_exertion",
        "prefer_perceived_exertion",
        "segment_efforts",
        "splits_metric",
        "splits_standard",
        "laps",
        "best_efforts",
        "gear",
        "photos",
        "stats_visibility",
        "hide_from_home",
        "embed_token",
        "similar_activities",
        "available_zones",
        "partner_brand_tag",
        "highlighted_kudosers",
        "segment_leaderboard_opt_out",
        "leaderboard_opt_out",
    }
)

# The deprecated ``type`` for sport types that ActivityType lacks: it has Run and Ride
# but no TrailRun or MountainBikeRide
# (https://developers.strava.com/docs/reference/#api-models-ActivityType).
LEGACY_TYPE = {
    "TrailRun": "Run",
    "MountainBikeRide": "Ride",
    "GravelRide": "Ride",
    "EMountainBikeRide": "EBikeRide",
}


@functools.cache
def _load(name: str) -> Any:
    return json.loads(resources.files("sandbox").joinpath("data", name).read_text("utf-8"))


def template(name: str) -> Any:
    """A private deep copy of one template, safe to modify."""
    return copy.deepcopy(_load(name))


def clone(value: Any) -> Any:
    """A deep copy, so callers never share the stored dicts."""
    return copy.deepcopy(value)


def iso_z(epoch: float) -> str:
    """Strava's timestamp format: UTC, whole seconds, trailing ``Z``."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_z_nanos(epoch: float) -> str:
    """The nanosecond form Strava uses in a push subscription's ``created_at``."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}000Z"


def parse_time(value: Any) -> float:
    """Epoch seconds from an epoch number or an ISO-8601 string (naive means UTC)."""
    if isinstance(value, int | float):
        return float(value)
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def zone_name(value: str | None) -> str:
    """The IANA name in "(GMT-05:00) America/New_York", "Europe/Paris" or None (UTC)."""
    if not value:
        return "UTC"
    name = re.sub(r"^\(GMT[^)]*\)\s*", "", value.strip())
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {value!r}") from error
    return name


def local_fields(start_epoch: float, zone: str) -> dict[str, Any]:
    """start_date, start_date_local, timezone and utc_offset, consistent with each other.

    As in the real payloads, the label shows the zone's standard offset
    ("(GMT-05:00) America/New_York") while ``utc_offset`` is the offset in force at the
    start (-14400.0 in summer), and the local time is written with a misleading ``Z``.
    """
    start = datetime.fromtimestamp(int(start_epoch), UTC)
    local = start.astimezone(ZoneInfo(zone))
    offset = local.utcoffset() or timedelta(0)
    standard = offset - (local.dst() or timedelta(0))
    minutes = int(standard.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    label = f"(GMT{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}) {zone}"
    return {
        "start_date": iso_z(start_epoch),
        "start_date_local": local.replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timezone": label,
        "utc_offset": float(offset.total_seconds()),
    }


def default_name(start_epoch: float, zone: str, sport_type: str) -> str:
    """Strava's automatic title: time of day plus sport, e.g. "Morning Run"."""
    hour = datetime.fromtimestamp(start_epoch, ZoneInfo(zone)).hour
    if 5 <= hour < 11:
        part = "Morning"
    elif 11 <= hour < 13:
        part = "Lunch"
    elif 13 <= hour < 17:
        part = "Afternoon"
    elif 17 <= hour < 21:
        part = "Evening"
    else:
        part = "Night"
    return f"{part} {sport_type}"


def legacy_type(sport_type: str) -> str:
    """The deprecated ``type`` matching a ``sport_type``."""
    return LEGACY_TYPE.get(sport_type, sport_type)


def new_activity(
    activity_id: int, athlete_id: int, fields: dict[str, Any], now: float
) -> dict[str, Any]:
    """A stored DetailedActivity from caller fields over the run template.

    Values tied to the template's real recording (segment efforts, laps, photos, gear,
    kudos) are emptied; ids, times and speeds are recomputed so they agree.
    """
    act = template(RUN_TEMPLATE)
    for key in ("segment_efforts", "splits_metric", "splits_standard", "laps", "best_efforts"):
        act[key] = []
    act.pop("similar_activities", None)
    act.update(
        {
            "achievement_count": 0,
            "kudos_count": 0,
            "comment_count": 0,
            "athlete_count": 1,
            "photo_count": 0,
            "total_photo_count": 0,
            "pr_count": 0,
            "photos": {"primary": None, "count": 0},
            "gear_id": None,
            "gear": None,
            "start_latlng": [],
            "end_latlng": [],
            "elev_high": None,
            "elev_low": None,
            "total_elevation_gain": 0.0,
            "upload_id": None,
            "upload_id_str": None,
            "external_id": None,
            "device_name": None,
            "calories": 0.0,
            "description": "",
            "map": {"id": f"a{activity_id}", "polyline": "", "resource_state": 3},
            "embed_token": secrets.token_hex(20),
            # In DetailedActivity (https://developers.strava.com/docs/reference/) but not in
            # the 2018 template.
            "partner_brand_tag": None,
            "highlighted_kudosers": [],
            "segment_leaderboard_opt_out": False,
            "leaderboard_opt_out": False,
        }
    )
    act["map"]["summary_polyline"] = ""

    fields = dict(fields)
    sport_type = fields.pop("sport_type", None) or fields.get("type") or "Run"
    kind = fields.pop("type", None) or legacy_type(sport_type)
    moving_time = int(fields.pop("moving_time", 1800))
    elapsed_time = int(fields.pop("elapsed_time", moving_time))
    distance = float(fields.pop("distance", 5000.0))
    zone = zone_name(fields.pop("timezone", None))
    start = fields.pop("start_date", None)
    start_epoch = parse_time(start) if start is not None else now - elapsed_time
    fields.pop("start_date_local", None)
    fields.pop("utc_offset", None)
    private = bool(fields.pop("private", False))
    name = fields.pop("name", None) or default_name(start_epoch, zone, sport_type)
    polylines = fields.pop("map_polylines", None)
    for key in ("id", "athlete", "resource_state", "map"):
        fields.pop(key, None)

    # Only keys a DetailedActivity has: a typo must not grow the payload's shape.
    act.update({key: value for key, value in fields.items() if key in act})
    act.update(local_fields(start_epoch, zone))
    act.update(
        {
            "id": activity_id,
            "athlete": {"id": athlete_id, "resource_state": 1},
            "resource_state": 3,
            "name": name,
            "type": kind,
            "sport_type": sport_type,
            "distance": distance,
            "moving_time": moving_time,
            "elapsed_time": elapsed_time,
            "private": private,
            "visibility": "only_me" if private else "everyone",
            "average_speed": round(distance / moving_time, 3) if moving_time else 0.0,
        }
    )
    if "max_speed" not in fields:
        act["max_speed"] = act["average_speed"]
    if polylines:
        act["map"]["polyline"], act["map"]["summary_polyline"] = polylines
    return act


def summary_of(activity: dict[str, Any]) -> dict[str, Any]:
    """The SummaryActivity (resource_state 2) that GET /athlete/activities lists."""
    summary = {k: copy.deepcopy(v) for k, v in activity.items() if k not in DETAILED_ONLY_KEYS}
    summary["resource_state"] = 2
    summary["map"] = {
        "id": activity["map"]["id"],
        "summary_polyline": activity["map"].get("summary_polyline", ""),
        "resource_state": 2,
    }
    return summary


def new_athlete(
    athlete_id: int, firstname: str, lastname: str, measurement_preference: str, now: float
) -> dict[str, Any]:
    """A DetailedAthlete over the real template, with the template person's data removed."""
    athlete = template(ATHLETE_TEMPLATE)
    athlete.update(
        {
            "id": athlete_id,
            "username": f"sandbox_athlete_{athlete_id}",
            "firstname": firstname,
            "lastname": lastname,
            "bio": "",
            "city": None,
            "state": None,
            "country": None,
            "created_at": iso_z(now),
            "updated_at": iso_z(now),
            "weight": None,
            "follower_count": 0,
            "friend_count": 0,
            "mutual_friend_count": 0,
            "measurement_preference": measurement_preference,
            "clubs": [],
            "bikes": [],
            "shoes": [],
        }
    )
    return athlete


def summary_athlete(detailed: dict[str, Any]) -> dict[str, Any]:
    """The summary athlete (resource_state 2) carried by the code-exchange answer."""
    shape = template(TOKEN_TEMPLATE)["athlete"]
    summary = {key: copy.deepcopy(detailed.get(key, shape[key])) for key in shape}
    summary["resource_state"] = 2
    return summary
