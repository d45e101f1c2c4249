"""Strava's activity summary as plain data: the workout_type the coaching reads."""

from __future__ import annotations

import math

import pytest

from service.storage.models import Activity
from service.storage.rows import activity_row
from service.strava.payloads import summary
from service.strava.payloads import workout_type

ITEM = {
    "id": 12,
    "athlete": {"id": 7},
    "name": "Parkrun",
    "sport_type": "Run",
    "type": "Run",
    "distance": 5000.0,
    "moving_time": 1200,
    "start_date": "2026-11-28T09:00:00Z",
    "start_date_local": "2026-11-28T09:00:00Z",
    "utc_offset": 0.0,
}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1, 1),
        (2, 2),
        (3, 3),
        (0, 0),
        (12, 12),
        (1.0, 1),
        (None, None),
        (True, None),
        ("1", None),
        (1.5, None),
        (-1, None),
        (10**9, None),
        (math.nan, None),
        (math.inf, None),
    ],
)
def test_workout_type_is_a_small_whole_number_or_none(raw, expected):
    assert workout_type(raw) == expected


def test_the_summary_carries_the_workout_type():
    assert summary({**ITEM, "workout_type": 1}).workout_type == 1
    assert summary(ITEM).workout_type is None
    assert summary({**ITEM, "workout_type": "race"}).workout_type is None


def build(row, data, kind):
    return activity_row(
        row,
        activity_id=data.id,
        athlete_id=data.athlete_id,
        name=data.name,
        sport_type="Run",
        start=data.start,
        utc_offset_s=data.utc_offset_s,
        distance_m=data.distance_m,
        moving_time_s=data.moving_time_s,
        workout_type=kind,
    )


def test_the_row_builder_stores_it_and_a_new_row_has_no_circuit():
    data = summary({**ITEM, "workout_type": 2})
    row = build(None, data, data.workout_type)
    assert (row.workout_type, row.circuit) == (2, False)

    # An existing row keeps the circuit its note prescribed; the type follows Strava.
    row.circuit = True
    again = build(row, data, None)
    assert isinstance(again, Activity)
    assert (again.workout_type, again.circuit) == (None, True)
