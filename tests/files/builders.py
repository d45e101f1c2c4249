"""Small GPX documents built by the tests (hostile ones included)."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

START = datetime(2024, 5, 4, 7, 0, tzinfo=UTC)
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
OPEN = '<gpx version="1.1" creator="postrun tests" xmlns="http://www.topografix.com/GPX/1/1">'


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def points(
    count: int,
    *,
    start: datetime = START,
    step_s: int = 10,
    step_deg: float = 0.0003,  # about 33 m of latitude: 3.3 m/s at 10 s
) -> list[tuple[float, float, datetime | None]]:
    return [(47.0 + i * step_deg, 8.0, start + timedelta(seconds=i * step_s)) for i in range(count)]


def trkpt(lat: float, lon: float, time: datetime | None) -> str:
    inner = f"<time>{stamp(time)}</time>" if time is not None else ""
    return f'<trkpt lat="{lat}" lon="{lon}">{inner}</trkpt>'


def gpx(
    *segments: list[tuple[float, float, datetime | None]],
    kind: str | None = None,
    head: str = HEAD,
) -> str:
    type_element = f"<type>{kind}</type>" if kind else ""
    body = "".join(
        "<trkseg>" + "".join(trkpt(*p) for p in segment) + "</trkseg>" for segment in segments
    )
    return f"{head}{OPEN}<trk>{type_element}{body}</trk></gpx>\n"


def run_gpx(count: int = 61, **kwargs: object) -> bytes:
    """A 10-minute run of about 2 km, 3.3 m/s."""
    return gpx(points(count, **kwargs)).encode()  # type: ignore[arg-type]
