"""The reconcile follows an athlete's later edits to a run, and nothing else."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from service.ops.maintenance import _follow_edits
from service.storage.models import Activity
from service.storage.models import ActivitySource
from service.strava.payloads import ActivityData

START = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def stored(**fields):
    base = {
        "id": 7,
        "athlete_id": 1,
        "start": START,
        "distance_m": 10_000.0,
        "moving_time_s": 3000,
        "is_run": True,
        "source": ActivitySource.STRAVA,
        "workout_type": 1,
    }
    return Activity(**{**base, **fields})


def listed(**fields):
    base = {
        "id": 7,
        "athlete_id": 1,
        "name": "Parkrun",
        "description": None,
        "sport_type": "Run",
        "activity_type": "Run",
        "distance_m": 5000.0,
        "moving_time_s": 1260,
        "start": START,
        "manual": False,
        "trainer": False,
        "workout_type": 0,
    }
    return ActivityData(**{**base, **fields})


def test_a_race_mark_taken_off_and_a_crop_are_followed():
    row = stored()
    _follow_edits(row, listed())
    assert (row.workout_type, row.distance_m, row.moving_time_s) == (0, 5000.0, 1260)


def test_what_the_listing_leaves_out_is_not_an_edit():
    row = stored()
    _follow_edits(row, listed(workout_type=None, distance_m=0.0, moving_time_s=0))
    assert (row.workout_type, row.distance_m, row.moving_time_s) == (1, 10_000.0, 3000)


def test_file_runs_and_non_runs_are_left_alone():
    for row in (stored(source=ActivitySource.FILE), stored(is_run=False)):
        _follow_edits(row, listed())
        assert (row.workout_type, row.distance_m) == (1, 10_000.0)
