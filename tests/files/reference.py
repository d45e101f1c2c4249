"""An independent reference distance for GPX files: stdlib XML and the haversine formula.

No gpxpy here, so a bug in how the reader uses gpxpy cannot hide in the reference.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

from defusedxml import ElementTree

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)


def haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def gpx_track_distance_m(path: Path) -> float:
    """Sum of point-to-point distances inside each <trkseg>; segments are never joined."""
    root = ElementTree.parse(path).getroot()
    total = 0.0
    for segment in root.iter():
        if _local(segment.tag) != "trkseg":
            continue
        points = [
            (float(p.get("lat", "nan")), float(p.get("lon", "nan")))
            for p in segment
            if _local(p.tag) == "trkpt"
        ]
        points = [p for p in points if -90 <= p[0] <= 90 and -180 <= p[1] <= 180]
        total += sum(haversine(a, b) for a, b in itertools.pairwise(points))
    return total
