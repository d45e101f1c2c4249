"""Distance, moving time and elevation gain from recorded points, and what the activity was.

Used by both readers: GPX track segments, and FIT records split where the timer stopped.

Over 300 lines on purpose: distance, pauses, elevation and the run/not-a-run verdict
share one pass over the same points, and splitting them would split that pass.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from datetime import UTC
from datetime import datetime

from gpxpy import geo

from coaching.runs import is_finished_run
from coaching.units import from_units
from coaching.units import unit_label
from service.files._common import FileError

# A stretch between two timed points counts as moving when it is covered at
# 0.5 m/s (1.8 km/h) or faster: slower than anyone walks, faster than GPS drift
# while standing still. Slower stretches are pauses. Gaps between segments (and
# across points with impossible coordinates) are never counted.
MOVING_SPEED_MS = 0.5
# Speeds are judged over stretches of at least 10 s (or between two points
# further apart), so that second-by-second GPS jitter neither starts nor stops
# the clock.
MOVING_WINDOW_S = 10.0

# Without an activity type in the file, the average moving speed decides:
# 2.0 m/s is 8:20 per km (a slow jog, a fast walk), 6.5 m/s is 2:34 per km
# (faster than a world-record marathon pace, slower than a ride).
RUN_MIN_SPEED_MS = 2.0
RUN_MAX_SPEED_MS = 6.5

# Times outside these are device placeholders (1970 or 1989 epochs, unset clocks),
# and the same bounds postrun suggest accepts.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
# Some devices without a clock write 2000-01-01T00:00:00 and count from there.
PLACEHOLDER_DAY = datetime(2000, 1, 1, tzinfo=UTC)

# More than half of the points must carry a time for the file to count as recorded.
MIN_TIMED_SHARE = 0.5


@dataclasses.dataclass(frozen=True, slots=True)
class Sample:
    lat: float
    lon: float
    time: datetime | None  # aware UTC
    elevation: float | None


@dataclasses.dataclass(frozen=True, slots=True)
class Measured:
    distance_m: float
    moving_time_s: float
    start: datetime | None
    end: datetime | None
    elevation_gain_m: float | None
    points: int  # every point read
    valid_points: int  # with coordinates in range
    timed_points: int  # valid and with a time
    distinct_times: int  # capped at 2: 0, 1 or "more than one"


def valid_coordinates(lat: float, lon: float) -> bool:
    # Written so that NaN fails both tests.
    return -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0


def _pieces(segment: Sequence[Sample]) -> list[list[Sample]]:
    """Split a segment at every point with impossible coordinates (never bridged)."""
    pieces: list[list[Sample]] = [[]]
    for sample in segment:
        if valid_coordinates(sample.lat, sample.lon):
            pieces[-1].append(sample)
        elif pieces[-1]:
            pieces.append([])
    return [piece for piece in pieces if piece]


def _check_order(segment: Sequence[Sample], label: str) -> None:
    previous: datetime | None = None
    for index, sample in enumerate(segment, start=1):
        if sample.time is None:
            continue
        if previous is not None and sample.time < previous:
            raise FileError(
                f"times go backwards in {label} at point {index}: "
                f"{_stamp(sample.time)} comes after {_stamp(previous)}"
            )
        previous = sample.time


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _gain(piece: Sequence[Sample]) -> float | None:
    elevations: list[float | None] = [
        s.elevation for s in piece if s.elevation is not None and math.isfinite(s.elevation)
    ]
    if len(elevations) < 2:
        return None
    uphill, _ = geo.calculate_uphill_downhill(elevations)
    return float(uphill)


def measure(segments: Sequence[tuple[str, Sequence[Sample]]]) -> Measured:
    """Add up labelled segments (``("track 1, segment 2", samples)``).

    Raises FileError when times go backwards inside a segment.
    """
    distance = 0.0
    moving = 0.0
    gain: float | None = None
    start: datetime | None = None
    end: datetime | None = None
    points = valid = timed = 0
    first_time: datetime | None = None
    distinct = 0
    for label, segment in segments:
        points += len(segment)
        _check_order(segment, label)
        for piece in _pieces(segment):
            valid += len(piece)
            along = 0.0
            last_timed: tuple[float, datetime] | None = None
            previous: Sample | None = None
            for sample in piece:
                if previous is not None:
                    along += geo.distance(
                        previous.lat, previous.lon, None, sample.lat, sample.lon, None
                    )
                previous = sample
                if sample.time is None:
                    continue
                timed += 1
                if first_time is None:
                    first_time, distinct = sample.time, 1
                elif sample.time != first_time:
                    distinct = 2
                start = sample.time if start is None else min(start, sample.time)
                end = sample.time if end is None else max(end, sample.time)
                if last_timed is None:
                    last_timed = (along, sample.time)
                    continue
                seconds = (sample.time - last_timed[1]).total_seconds()
                if seconds >= MOVING_WINDOW_S:
                    if (along - last_timed[0]) / seconds >= MOVING_SPEED_MS:
                        moving += seconds
                    last_timed = (along, sample.time)
            if last_timed is not None and piece[-1].time is not None:
                seconds = (piece[-1].time - last_timed[1]).total_seconds()
                if seconds > 0 and (along - last_timed[0]) / seconds >= MOVING_SPEED_MS:
                    moving += seconds
            distance += along
            piece_gain = _gain(piece)
            if piece_gain is not None:
                gain = piece_gain if gain is None else gain + piece_gain
    return Measured(
        distance_m=distance,
        moving_time_s=moving,
        start=start,
        end=end,
        elevation_gain_m=gain,
        points=points,
        valid_points=valid,
        timed_points=timed,
        distinct_times=distinct,
    )


def placeholder_time(start: datetime, end: datetime | None) -> str | None:
    """Why the times look like a device placeholder rather than a clock, or None."""
    if start < EARLIEST:
        return f"the times start on {start.date().isoformat()}, a placeholder date"
    if (end or start) >= LATEST:
        return f"the times reach {(end or start).date().isoformat()}, a placeholder date"
    if PLACEHOLDER_DAY <= start < PLACEHOLDER_DAY.replace(hour=1):
        return "the times start at 2000-01-01 00:00, a placeholder for an unset clock"
    return None


def untimed_reason(measured: Measured) -> str | None:
    """Why the points cannot be a recorded activity (for lack of usable times), or None."""
    if measured.timed_points == 0:
        return "no timestamps on the points (a planned route?)"
    if measured.timed_points < 2:
        return "only one point has a time"
    if measured.timed_points < MIN_TIMED_SHARE * measured.valid_points:
        return (
            f"only {measured.timed_points} of {measured.valid_points} points have a time, "
            "too few to be a recording"
        )
    if measured.distinct_times < 2:
        return "every point has the same time, a placeholder"
    assert measured.start is not None
    return placeholder_time(measured.start, measured.end)


# --- what kind of activity -------------------------------------------------

# Activity types written by GPX producers (normalised: lower case, no spaces,
# dashes or underscores) and the Strava sport type they mean. Strava's own GPX
# exports write numbers: 9 is Run, 1 is Ride.
GPX_TYPES = {
    "run": "Run",
    "running": "Run",
    "9": "Run",
    "trailrun": "TrailRun",
    "trailrunning": "TrailRun",
    "treadmill": "Run",
    "treadmillrunning": "Run",
    "indoorrunning": "Run",
    "streetrunning": "Run",
    "trackrunning": "Run",
    "virtualrun": "VirtualRun",
    "walk": "Walk",
    "walking": "Walk",
    "hike": "Hike",
    "hiking": "Hike",
    "ride": "Ride",
    "cycling": "Ride",
    "biking": "Ride",
    "bike": "Ride",
    "roadbiking": "Ride",
    "mountainbiking": "MountainBikeRide",
    "virtualride": "VirtualRide",
    "1": "Ride",
    "swim": "Swim",
    "swimming": "Swim",
}
STRAVA_CODES = {"1": "Ride", "9": "Run"}

# FIT ``sport`` (and ``sub_sport`` where it changes the answer).
FIT_SPORTS = {
    "running": "Run",
    "walking": "Walk",
    "hiking": "Hike",
    "cycling": "Ride",
    "e_biking": "EBikeRide",
    "swimming": "Swim",
}
FIT_SUB_SPORTS = {
    ("running", "trail"): "TrailRun",
    ("running", "virtual_activity"): "VirtualRun",
    ("cycling", "virtual_activity"): "VirtualRide",
    ("cycling", "mountain"): "MountainBikeRide",
}
FIT_NO_SPORT = {"generic", "all", "None"}


@dataclasses.dataclass(frozen=True, slots=True)
class Kind:
    sport_type: str | None
    is_run: bool
    reason: str


def _pace(speed: float, units: str = "metric") -> str:
    """A speed as the athlete reads a pace: "8:20 per km", or "13:25 per mi" in imperial."""
    seconds = round(from_units(1, units) / speed)
    return f"{seconds // 60}:{seconds % 60:02d} per {unit_label(units)}"


def _finish(sport_type: str, why: str, distance_m: float, moving_s: float) -> Kind:
    ok, problem = is_finished_run(
        sport_type=sport_type,
        activity_type=None,
        distance_m=distance_m,
        moving_time_s=round(moving_s),
    )
    if ok:
        return Kind(sport_type, True, why)
    return Kind(sport_type, False, f"{problem} ({why})")


def by_gpx_type(raw: str, distance_m: float, moving_s: float, units: str = "metric") -> Kind:
    """Trust the file's own ``<type>``."""
    key = "".join(ch for ch in raw.lower() if ch not in " _-")
    sport_type = GPX_TYPES.get(key)
    if key in STRAVA_CODES:
        why = f"the file's type {raw} is Strava's code for {STRAVA_CODES[key]}"
        if sport_type != "Run" and moving_s > 0:
            speed = distance_m / moving_s
            if RUN_MIN_SPEED_MS <= speed <= RUN_MAX_SPEED_MS:
                why += (
                    f"; its pace ({_pace(speed, units)}) would suit a run, but the file's type wins"
                )
    else:
        why = f"{raw}, from the file's type"
    if sport_type is None:
        return Kind(None, False, f"the file's type {raw!r} is not a run")
    if sport_type in ("Run", "TrailRun", "VirtualRun"):
        return _finish(sport_type, why, distance_m, moving_s)
    return Kind(sport_type, False, why)


def by_fit_sport(sport: str, sub_sport: str | None, distance_m: float, moving_s: float) -> Kind:
    sport_type = FIT_SUB_SPORTS.get((sport, sub_sport or "")) or FIT_SPORTS.get(sport)
    label = sport if not sub_sport or sub_sport == "generic" else f"{sport}/{sub_sport}"
    if sport_type is None:
        return Kind(None, False, f"the file's sport {label!r} is not a run")
    why = f"{label}, from the file's sport"
    if sport_type in ("Run", "TrailRun", "VirtualRun"):
        return _finish(sport_type, why, distance_m, moving_s)
    return Kind(sport_type, False, why)


def by_pace(distance_m: float, moving_s: float, units: str = "metric") -> Kind:
    """No type in the file: decide by the average moving speed (a pace in ``units``)."""
    if moving_s <= 0 or distance_m <= 0:
        return Kind(None, False, "no activity type in the file, and no movement to judge by")
    speed = distance_m / moving_s
    if speed < RUN_MIN_SPEED_MS:
        return Kind(
            None,
            False,
            f"no activity type in the file; {_pace(speed, units)} ({speed:.1f} m/s)"
            " is a walking pace",
        )
    if speed > RUN_MAX_SPEED_MS:
        return Kind(
            None,
            False,
            f"no activity type in the file; {speed:.1f} m/s is faster than running",
        )
    return _finish(
        "Run",
        f"no activity type in the file; {_pace(speed, units)} is a running pace",
        distance_m,
        moving_s,
    )
