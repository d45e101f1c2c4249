"""Building rows: text clipped to its column's width, and the one ``Activity`` builder."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from service.storage.models import Activity


def width(column: Any) -> int | None:
    """How many characters a mapped column (``Model.column``) holds, or None if unbounded.

    A ``String(n)`` holds n; an unbounded ``Text`` may name its own cap as
    ``info={"max_chars": n}``.
    """
    mapped = column.property.columns[0]
    if "max_chars" in mapped.info:
        return int(mapped.info["max_chars"])
    return mapped.type.length if isinstance(mapped.type, sa.String) else None


def clip(column: Any, text: str) -> str:
    """``text`` cut to what ``column`` (e.g. ``Activity.name``) can hold."""
    length = width(column)
    return text if length is None else text[:length]


def activity_row(
    row: Activity | None,
    *,
    activity_id: int,
    athlete_id: int,
    name: str,
    sport_type: str,
    start: datetime,
    utc_offset_s: int,
    distance_m: float,
    moving_time_s: int,
    workout_type: int | None = None,
) -> Activity:
    """``row`` (a new one if None) holding one activity's facts, each within its column.

    The caller adds a new row to its session and sets what postrun did with it. A new
    row has prescribed no circuit (``circuit`` False) until the pipeline writes a note
    that does; an existing row keeps its flag.
    """
    if row is None:
        row = Activity(id=activity_id, athlete_id=athlete_id, circuit=False)
    row.name = clip(Activity.name, name)
    row.sport_type = clip(Activity.sport_type, sport_type)
    row.start = start
    row.utc_offset_s = utc_offset_s
    row.distance_m = distance_m
    row.moving_time_s = moving_time_s
    row.workout_type = workout_type
    return row
