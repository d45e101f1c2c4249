"""The athlete's own calendar: local days, Monday-to-Sunday weeks, local clock times.

Strava gives every activity its local start (``start_date_local``) and the offset
in force at that moment (``utc_offset``), so a run's day is the day on the
athlete's clock where they ran; DST needs no special case because each run
carries its own offset. Moments with no run attached (when the next circuit is
due, "today" on the settings page) use the athlete's IANA time zone. Only the
standard library's ``zoneinfo`` is used, so the core stays free of I/O beyond
reading the time zone database.
"""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

UTC_NAME = "UTC"
# ISO 8601 allows offsets up to 18 h either side; real zones span -12 h to +14 h.
MAX_OFFSET_S = 18 * 3600
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@lru_cache(maxsize=256)
def zone(name: str) -> tzinfo:
    """The time zone called ``name`` ("Europe/Paris", "UTC"); ValueError if unknown."""
    if not isinstance(name, str) or not name or name != name.strip():
        raise ValueError(f"unknown time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name!r}") from error


def is_zone(name: object) -> bool:
    if not isinstance(name, str):
        return False
    try:
        zone(name)
    except (ValueError, TypeError):
        return False
    return True


def offset_at(moment: datetime, zone_name: str) -> int:
    """Seconds east of UTC in force in ``zone_name`` at the aware ``moment``."""
    offset = moment.astimezone(zone(zone_name)).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def implied_offset(moment: datetime, zone_name: str = UTC_NAME) -> int:
    """The offset a timestamp implies: its own when it is written with one, else the zone's.

    GPX files and API payloads mostly write UTC ("Z"), which says nothing about
    where the athlete was; a non-zero offset in the timestamp does. Zero is taken
    as "not said", so the athlete's zone decides (UTC if they have none).
    """
    own = moment.utcoffset()
    if own:
        return int(own.total_seconds())
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return offset_at(aware, zone_name)


def check_offset(seconds: int) -> None:
    if not -MAX_OFFSET_S <= seconds <= MAX_OFFSET_S:
        raise ValueError("a UTC offset must be within 18 hours")


def local_day(moment: datetime, offset_s: int) -> date:
    """The calendar day on a clock ``offset_s`` seconds east of UTC."""
    return (moment + timedelta(seconds=offset_s)).date()


def today_in(now: datetime, zone_name: str) -> date:
    """Today's date on the athlete's clock."""
    return now.astimezone(zone(zone_name)).date()


def week_start(day: date) -> date:
    """The Monday of ``day``'s week (Strava's weeks run Monday to Sunday too)."""
    return day - timedelta(days=day.weekday())


def when(moment: datetime, zone_name: str = UTC_NAME) -> str:
    """'Thu 5 Mar 14:00 CET' on the athlete's clock, spelled out so no locale changes it."""
    local = moment.astimezone(zone(zone_name))
    label = local.tzname() or zone_name
    weekday, month = WEEKDAYS[local.weekday()], MONTHS[local.month - 1]
    return f"{weekday} {local.day} {month} {local:%H:%M} {label}"
