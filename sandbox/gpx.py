"""Activity fields measured from a GPX file, for ``POST /sandbox/activities`` uploads."""

from __future__ import annotations

from typing import Any

import gpxpy
import gpxpy.gpx

# GPX <type> values seen in real exports (Garmin writes "running", Strava "Run" or a
# numeric code where 1 is Ride).
GPX_TYPES = {
    "running": "Run",
    "run": "Run",
    "9": "Run",
    "trail_running": "TrailRun",
    "cycling": "Ride",
    "biking": "Ride",
    "ride": "Ride",
    "1": "Ride",
    "walking": "Walk",
    "walk": "Walk",
    "hiking": "Hike",
    "hike": "Hike",
}


def encode_polyline(points: list[tuple[float, float]]) -> str:
    """Google's encoded polyline format (precision 5), as Strava's ``map`` carries."""
    out: list[str] = []
    last_lat = last_lng = 0
    for lat, lng in points:
        ilat, ilng = round(lat * 1e5), round(lng * 1e5)
        for delta in (ilat - last_lat, ilng - last_lng):
            value = ~(delta << 1) if delta < 0 else delta << 1
            while value >= 0x20:
                out.append(chr((0x20 | (value & 0x1F)) + 63))
                value >>= 5
            out.append(chr(value + 63))
        last_lat, last_lng = ilat, ilng
    return "".join(out)


class GpxError(ValueError):
    """A GPX file the sandbox cannot turn into an activity."""


def activity_fields_from_gpx(data: bytes, filename: str | None) -> dict[str, Any]:
    """Activity fields measured from a GPX track: start, distance, times, route.

    Distance is the sum of the segments' 2D lengths and moving time is gpxpy's moving
    data, close to what Strava computes. Files without timed track points are refused,
    as Strava refuses them ("time information missing").
    """
    try:
        gpx = gpxpy.parse(data.decode("utf-8", errors="replace"))
    except gpxpy.gpx.GPXException as error:
        raise GpxError(f"cannot parse GPX: {error}") from error
    points = [
        point for track in gpx.tracks for segment in track.segments for point in segment.points
    ]
    timed = [p for p in points if p.time is not None]
    if len(timed) < 2 or len(timed) < len(points):
        raise GpxError("GPX track points carry no time information")
    bounds = gpx.get_time_bounds()
    assert bounds.start_time is not None
    assert bounds.end_time is not None
    distance = sum(segment.length_2d() or 0.0 for track in gpx.tracks for segment in track.segments)
    moving = gpx.get_moving_data()
    uphill = gpx.get_uphill_downhill().uphill
    elevations = [p.elevation for p in points if p.elevation is not None]
    route = [(p.latitude, p.longitude) for p in points]
    step = max(1, len(route) // 100)
    gpx_type = (gpx.tracks[0].type if gpx.tracks else None) or ""
    sport_type = GPX_TYPES.get(gpx_type.strip().lower(), "Run" if not gpx_type else "Workout")
    name = (gpx.tracks[0].name if gpx.tracks else None) or gpx.name
    fields: dict[str, Any] = {
        "sport_type": sport_type,
        "start_date": bounds.start_time.timestamp(),
        "distance": round(distance, 1),
        "moving_time": int(moving.moving_time) if moving else 0,
        "elapsed_time": int((bounds.end_time - bounds.start_time).total_seconds()),
        "max_speed": round(moving.max_speed or 0.0, 1) if moving else 0.0,
        "total_elevation_gain": round(uphill or 0.0, 1),
        "elev_high": max(elevations) if elevations else None,
        "elev_low": min(elevations) if elevations else None,
        "start_latlng": [round(route[0][0], 6), round(route[0][1], 6)],
        "end_latlng": [round(route[-1][0], 6), round(route[-1][1], 6)],
        "device_name": gpx.creator,
        "external_id": filename,
        "map_polylines": (encode_polyline(route), encode_polyline(route[::step] + route[-1:])),
    }
    if name:
        fields["name"] = name.strip()
    return fields
