"""Limits, the error type, the result type and its "not a recorded run" form, shared by
the GPX and FIT readers."""

from __future__ import annotations

import dataclasses
from datetime import datetime

MB = 1024 * 1024
NOT_RECORDED = "not a recorded run"


class FileError(ValueError):
    """The file cannot be read. The message names the problem; the caller adds the file name."""


@dataclasses.dataclass(frozen=True, slots=True)
class Limits:
    """How much one file (and one request of several files) may cost.

    ``max_bytes`` is checked before anything is parsed, ``max_points`` (track,
    route and waypoints, or FIT records) and ``max_elements`` (XML elements or FIT
    messages) while the cheap first pass streams through the file, before the
    GPX or FIT library builds anything. ``max_depth`` bounds XML nesting.

    200,000 points is more than two days recorded every second (a 24-hour race
    at 1 s is 86,400). gpxpy holds about 1.5 KB per point while it parses, so the
    cap also bounds a worker's memory at roughly 300 MB.
    """

    max_bytes: int = 25 * MB
    max_request_bytes: int = 25 * MB
    max_points: int = 200_000
    max_elements: int = 2_000_000
    max_depth: int = 64

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            if getattr(self, field.name) <= 0:
                raise ValueError(f"Limits.{field.name} must be positive")


@dataclasses.dataclass(frozen=True, slots=True)
class FileResult:
    """What one GPX or FIT file says about the activity it holds.

    ``recorded`` is False for files that hold no recorded activity at all
    (routes, waypoints, tracks without usable times); ``reason`` then starts with
    "not a recorded run". ``is_run`` is True only for a recorded run with a
    distance and a moving time. ``start`` is an aware UTC datetime, or None when
    the file has no usable times.

    ``start_is_local`` is True for a FIT file whose times place only on the
    device's local clock (system times and a local timestamp, no UTC time):
    ``start`` then holds that wall-clock time labelled UTC, ``utc_offset_s`` is
    None, and a reader that knows the athlete's time zone places it there.
    """

    name: str
    format: str  # "gpx" or "fit"
    recorded: bool
    is_run: bool
    reason: str
    sport_type: str | None
    start: datetime | None
    distance_m: float
    moving_time_s: int
    elapsed_time_s: int
    elevation_gain_m: float | None
    points: int
    skipped_points: int = 0
    # Seconds east of UTC the file's own times imply (a GPX time written with an
    # offset, a FIT file's local timestamp); None when the file does not say.
    utc_offset_s: int | None = None
    notes: tuple[str, ...] = ()
    start_is_local: bool = False

    @property
    def timezone(self) -> str | None:
        """The file's offset as "UTC+02:00", or None."""
        if self.utc_offset_s is None:
            return None
        minutes = self.utc_offset_s // 60
        sign = "+" if minutes >= 0 else "-"
        return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def stated_offset(seconds: float | None) -> int | None:
    """A file's own UTC offset, to the minute; None if absent, zero (UTC says nothing
    about the athlete's clock) or beyond the 14 h of any real zone."""
    if not seconds or abs(seconds) > 14 * 3600:
        return None
    return round(seconds / 60) * 60


def human_bytes(size: int) -> str:
    if size >= MB:
        return f"{size / MB:.1f} MB".replace(".0 MB", " MB")
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


class RequestBudget:
    """Counts the bytes of one request (an upload or one command) against ``max_request_bytes``."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.used = 0

    def charge(self, size: int) -> None:
        """Add ``size`` bytes, or raise FileError (and add nothing) if that exceeds the budget."""
        if self.used + size > self.limits.max_request_bytes:
            raise FileError(
                "skipped: the files together exceed the limit of "
                f"{human_bytes(self.limits.max_request_bytes)} for one request"
            )
        self.used += size


def not_recorded(
    name: str,
    fmt: str,
    why: str,
    points: int,
    *,
    distance_m: float = 0.0,
    skipped_points: int = 0,
    notes: tuple[str, ...] = (),
) -> FileResult:
    return FileResult(
        name=name,
        format=fmt,
        recorded=False,
        is_run=False,
        reason=f"{NOT_RECORDED}: {why}",
        sport_type=None,
        start=None,
        distance_m=distance_m,
        moving_time_s=0,
        elapsed_time_s=0,
        elevation_gain_m=None,
        points=points,
        skipped_points=skipped_points,
        notes=notes,
    )


def skipped_note(points: int, valid_points: int) -> tuple[int, tuple[str, ...]]:
    """How many points were skipped for coordinates out of range, and the note that says so."""
    skipped = points - valid_points
    if not skipped:
        return 0, ()
    if valid_points == 0:
        raise FileError(f"no usable points: all {points:,} have coordinates out of range")
    noun = "point" if skipped == 1 else "points"
    return skipped, (f"skipped {skipped:,} {noun} with coordinates out of range",)
