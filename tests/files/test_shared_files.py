"""Every shared GPX and FIT file: the outcome, and distances within 1 % of independent figures.

Two references per GPX track: our own haversine over the raw XML (tests/files/reference.py)
and the "Facts" column of the data manifest (gpxpy 1.6.2 2D length, rounded to 10 m).
FIT files are checked against the manifest's session figures and, independently of the
session message, against the last record's cumulative distance.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from pathlib import Path

import fitdecode
import pytest

from coaching import Run
from service.files import read_path
from service.files import to_coaching_run
from tests.files.reference import gpx_track_distance_m

FIXTURES = Path(__file__).parent / "fixtures"
RUN, NOT_RUN, NOT_RECORDED = "run", "not a run", "not a recorded run"

# file: (outcome, sport_type, manifest km or None, words the reason must contain)
GPX = {
    "alltrails_route-only_rtept.gpx": (NOT_RECORDED, None, None, "a route (139 route points)"),
    "apple-health_route_speed-course-hacc.gpx": (NOT_RUN, None, 0.07, "walking pace"),
    "apple-watch_run_3-segments_hr-cad-power.gpx": (RUN, "Run", 0.09, "from the file's type"),
    "caltopo_2-tracks.gpx": (NOT_RUN, None, 10.98, "walking pace"),
    "etrex10_cadence_waypoints.gpx": (NOT_RUN, None, 0.06, "walking pace"),
    "garmin-connect_ride_hr_2016.gpx": (NOT_RUN, "Ride", 5.78, "cycling, from the file's type"),
    "garmin-connect_run_hr-cad_2017.gpx": (RUN, "Run", 12.84, "running, from the file's type"),
    "garmin-connect_run_hr_2012.gpx": (RUN, "Run", 3.10, "is a running pace"),
    "garmin-oregon600_hr-gaps_3-segments.gpx": (NOT_RUN, None, 0.06, "walking pace"),
    "google-mytracks_gpx10_2014.gpx": (RUN, "Run", 4.45, "is a running pace"),
    "gpsbabel_gpx10_8-tracks_7-wpts.gpx": (RUN, "Run", 4.58, "is a running pace"),
    "gpsbabel_gpx10_no-times.gpx": (NOT_RECORDED, None, 4.58, "only 5 of 296 points"),
    "gpx11_all-fields_reference.gpx": (NOT_RECORDED, None, None, "only one point has a time"),
    "link2gps_hike_1-track_8-segments.gpx": (NOT_RUN, None, 3.08, "walking pace"),
    "link2gps_waypoints-only.gpx": (NOT_RECORDED, None, None, "waypoints only (18)"),
    "movescount-suunto_5pts_hr-extensions.gpx": (NOT_RUN, None, 0.01, "no movement"),
    "open-gpx-tracker-ios_empty-segments.gpx": (NOT_RUN, None, 0.04, "walking pace"),
    "osmand_empty-trk.gpx": (NOT_RECORDED, None, None, "the track is empty"),
    "outdooractive_tour_no-times_4-wpts.gpx": (NOT_RECORDED, None, 12.43, "no timestamps"),
    "ozi_iso8859-1_waypoints.gpx": (NOT_RECORDED, None, None, "waypoints only (8)"),
    "strava-api_route-export_lower-manhattan-loop.gpx": (
        NOT_RECORDED,
        None,
        15.02,
        "no timestamps",
    ),
    "stravagpx-iphone_activity_type1_2020.gpx": (
        NOT_RUN,
        "Ride",
        10.65,
        "type 1 is Strava's code for Ride",
    ),
    "stravagpx_route_run_no-times.gpx": (NOT_RECORDED, None, 4.54, "no timestamps"),
    "stravagpx_run_hr_2015.gpx": (RUN, "Run", 3.57, "is a running pace"),
    "track-with-empty-segment.gpx": (RUN, "Run", 0.09, "is a running pace"),
}

# file: (outcome, sport_type, manifest metres, manifest timer seconds)
FIT = {
    "fitsdk_activity_sample.fit": (RUN, "Run", 5.73, 13.749),
    "garmin-fenix2_run_9km_2015.fit": (RUN, "Run", 9008.22, 2832.0),
    "garmin-fenix5_run_tiny.fit": (RUN, "Run", 157.56, 56.887),
    "garmin-fenix5_walk_tiny.fit": (NOT_RUN, "Walk", 67.85, 45.379),
    "garmin-fr110_run_hr_gps_2013.fit": (RUN, "Run", 4835.38, 2625.14),
    "stryd_run_developer-fields.fit": (RUN, "Run", 6753.99, 3424.0),
}


def outcome(result) -> str:
    if not result.recorded:
        return NOT_RECORDED
    return RUN if result.is_run else NOT_RUN


def test_every_shared_file_is_listed():
    assert sorted(p.name for p in (FIXTURES / "gpx").glob("*.gpx")) == sorted(GPX)
    assert sorted(p.name for p in (FIXTURES / "fit").glob("*.fit")) == sorted(FIT)


@pytest.mark.parametrize("name", sorted(GPX))
def test_gpx_file(name):
    expected, sport_type, manifest_km, words = GPX[name]
    path = FIXTURES / "gpx" / name
    result = read_path(path)
    assert outcome(result) == expected, result.reason
    assert result.sport_type == sport_type
    assert words in result.reason
    assert result.format == "gpx"
    if expected == NOT_RECORDED:
        assert result.reason.startswith("not a recorded run: ")
        assert result.start is None
        assert result.moving_time_s == 0
    else:
        assert result.start is not None
        assert result.start.tzinfo is UTC
        assert 0 <= result.moving_time_s <= result.elapsed_time_s
    reference = gpx_track_distance_m(path)
    assert result.distance_m == pytest.approx(reference, rel=0.01, abs=0.5)
    if manifest_km is not None:
        # The manifest rounds to 10 m; below 1 km that rounding is larger than 1 %.
        assert result.distance_m == pytest.approx(manifest_km * 1000, rel=0.01, abs=6)


def _last_record_distance(path: Path) -> float:
    last = None
    with fitdecode.FitReader(path) as reader:
        for frame in reader:
            is_record = frame.frame_type == fitdecode.FIT_FRAME_DATA and frame.name == "record"
            if is_record and frame.has_field("distance"):
                last = frame.get_value("distance")
    assert last is not None
    return float(last)


@pytest.mark.parametrize("name", sorted(FIT))
def test_fit_file(name):
    expected, sport_type, metres, seconds = FIT[name]
    path = FIXTURES / "fit" / name
    result = read_path(path)
    assert outcome(result) == expected, result.reason
    assert result.format == "fit"
    assert result.sport_type == sport_type
    assert result.distance_m == pytest.approx(metres, rel=0.01)
    assert result.distance_m == pytest.approx(_last_record_distance(path), rel=0.01)
    assert result.moving_time_s == round(seconds)
    assert result.start is not None
    assert result.start.tzinfo is not None


def test_start_is_the_first_recorded_time_in_utc():
    result = read_path(FIXTURES / "gpx" / "garmin-connect_run_hr-cad_2017.gpx")
    assert result.start == datetime(2017, 7, 29, 14, 46, 35, tzinfo=UTC)
    assert result.elapsed_time_s == 91 * 60 + 38
    assert result.elevation_gain_m is not None
    assert result.elevation_gain_m > 0


def test_segments_are_not_bridged():
    # The hike is one track in 8 segments; joining them would add the gaps.
    path = FIXTURES / "gpx" / "link2gps_hike_1-track_8-segments.gpx"
    result = read_path(path)
    assert result.distance_m == pytest.approx(gpx_track_distance_m(path), rel=0.01)
    # Joined end to end, the 8 segments would measure about 21.7 km.
    assert result.distance_m < 3200
    # Four hours elapsed, but the time between segments is not moving time.
    assert result.moving_time_s < result.elapsed_time_s / 2


def test_the_files_own_type_wins_over_the_pace():
    result = read_path(FIXTURES / "gpx" / "stravagpx-iphone_activity_type1_2020.gpx")
    assert not result.is_run
    assert result.sport_type == "Ride"
    assert "would suit a run" in result.reason


def test_walk_in_fit_says_why():
    result = read_path(FIXTURES / "fit" / "garmin-fenix5_walk_tiny.fit")
    assert result.reason == "walking, from the file's sport"


def test_fit_utc_offset_from_the_activity_message():
    assert read_path(FIXTURES / "fit" / "garmin-fenix2_run_9km_2015.fit").timezone == "UTC+02:00"


def test_latin1_file_reads():
    result = read_path(FIXTURES / "gpx" / "ozi_iso8859-1_waypoints.gpx")
    assert result.reason == "not a recorded run: waypoints only (8)"


def test_to_coaching_run():
    result = read_path(FIXTURES / "fit" / "garmin-fenix2_run_9km_2015.fit")
    run = to_coaching_run(result, "fenix2")
    assert run == Run(
        id="fenix2",
        start=datetime(2015, 8, 15, 14, 45, 8, tzinfo=UTC),
        distance_m=result.distance_m,
        moving_time_s=2832,
        sport_type="Run",
    )
    assert run.distance_m == pytest.approx(9008.22)
    walk = read_path(FIXTURES / "fit" / "garmin-fenix5_walk_tiny.fit")
    with pytest.raises(ValueError, match="not a run"):
        to_coaching_run(walk, "walk")
