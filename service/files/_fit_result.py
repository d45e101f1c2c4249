"""A FIT file's FileResult: the session's totals (or the records'), on the clock its times place."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from service.files import _fit
from service.files import _track
from service.files._common import FileResult
from service.files._common import Limits
from service.files._common import not_recorded
from service.files._common import skipped_note
from service.files._common import stated_offset
from service.files._fit_clock import CANNOT_PLACE


def from_fit(name: str, data: bytes, limits: Limits, units: str = "metric") -> FileResult:
    content = _fit.read(data, limits)
    if content.file_type == "course":
        return not_recorded(name, "fit", "a course (a planned route)", content.records)
    if content.file_type not in (None, "activity"):
        return not_recorded(
            name, "fit", f"a FIT {content.file_type} file, not an activity", content.records
        )
    if content.unplaced:
        return not_recorded(name, "fit", CANNOT_PLACE, content.records)
    measured = _track.measure(content.segments)
    skipped, notes = skipped_note(measured.points, measured.valid_points)
    notes += content.notes
    sessions = [s for s in content.sessions if s.start is not None]
    if sessions:
        start = min(s.start for s in sessions if s.start is not None)
        distance = sum(s.distance_m or 0.0 for s in sessions)
        moving = sum(s.timer_s or 0.0 for s in sessions)
        ascents = [s.ascent_m for s in sessions if s.ascent_m is not None]
        gain = sum(ascents) if ascents else None
        end = _fit_end(sessions, measured.end) or start
        placeholder = _track.placeholder_time(start, end)
        if placeholder:
            return not_recorded(name, "fit", placeholder, content.records)
        sports = {(s.sport, s.sub_sport) for s in sessions}
    else:
        untimed = _track.untimed_reason(measured) if measured.points else _no_points(content)
        if untimed:
            return not_recorded(
                name, "fit", untimed, content.records, distance_m=measured.distance_m
            )
        assert measured.start is not None
        start, end = measured.start, measured.end or measured.start
        distance, moving, gain = (
            measured.distance_m,
            measured.moving_time_s,
            measured.elevation_gain_m,
        )
        sports = {(content.sport, content.sub_sport)}
    known = {(sport, sub) for sport, sub in sports if sport and sport not in _track.FIT_NO_SPORT}
    if len(known) > 1:
        listed = ", ".join(sorted(sport for sport, _ in known))
        kind = _track.Kind(None, False, f"a multisport file ({listed})")
    elif known:
        sport, sub_sport = known.pop()
        kind = _track.by_fit_sport(sport, sub_sport, distance, moving)
    else:
        kind = _track.by_pace(distance, moving, units)
    return FileResult(
        name=name,
        format="fit",
        recorded=True,
        is_run=kind.is_run,
        reason=kind.reason,
        sport_type=kind.sport_type,
        start=start,
        distance_m=distance,
        moving_time_s=round(moving),
        elapsed_time_s=round(max(0.0, (end - start).total_seconds())),
        elevation_gain_m=gain,
        points=content.records,
        skipped_points=skipped,
        utc_offset_s=None if content.local_only else stated_offset(content.utc_offset_s),
        notes=notes,
        start_is_local=content.local_only,
    )


def _fit_end(sessions: list[_fit.Session], last_record: datetime | None) -> datetime | None:
    """The latest end the file states: a session's end or elapsed time, or its last record."""
    ends = [last_record] + [s.end for s in sessions]
    ends += [s.start + timedelta(seconds=s.elapsed_s) for s in sessions if s.start and s.elapsed_s]
    known = [end for end in ends if end is not None]
    return max(known) if known else None


def _no_points(content: _fit.FitContent) -> str:
    if not content.records:
        return "no records"
    noun = "record carries" if content.records == 1 else "records carry"
    return f"its {content.records:,} {noun} no position, and no session gives its totals"
