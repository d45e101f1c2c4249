"""A GPX or FIT file's "not a run" reason gives its pace in the athlete's units."""

from __future__ import annotations

from service.files import _track
from service.files import read_activity
from tests.files.builders import gpx
from tests.files.builders import points

# About 1.3 m/s (12:50 per km, 20:39 per mile): a walk, in a file with no type.
WALK = gpx(points(61, step_deg=0.00012)).encode()


def test_a_walk_reads_per_km_by_default():
    result = read_activity("walk.gpx", WALK)
    assert not result.is_run
    assert "per km" in result.reason
    assert "per mi" not in result.reason


def test_a_walk_reads_per_mile_for_an_imperial_athlete():
    result = read_activity("walk.gpx", WALK, units="imperial")
    assert not result.is_run
    assert "per mi" in result.reason
    assert "per km" not in result.reason


def test_the_pace_converts_between_units():
    # 2.0 m/s is 8:20 per km and 13:25 per mile.
    assert "8:20 per km" in _track.by_pace(1000.0, 500.0).reason
    assert "13:25 per mi" in _track.by_pace(1000.0, 500.0, "imperial").reason


def test_a_ride_code_with_a_running_pace_says_it_in_miles():
    kind = _track.by_gpx_type("1", 1000.0, 300.0, "imperial")
    assert "per mi" in kind.reason
    assert "per km" not in kind.reason
