"""What the settings page shows of an athlete's own data: the preview note, the recent
runs and the weekly totals. Queries only; the page itself is ``service.web.settings``.

``since`` is the first moment of the chart's window (twelve weeks on the athlete's
calendar). Runs before it are old: listed apart, and never the run the preview is for,
so a file from years ago sets neither the note shown nor next week's range.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC
from datetime import date
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

import coaching
from coaching import localtime
from service.pipeline.history import as_run
from service.pipeline.history import goal_race
from service.pipeline.history import run_history
from service.pipeline.history import superseded_file_runs
from service.storage.models import Activity
from service.storage.models import ActivitySource
from service.storage.models import ActivityStatus
from service.storage.models import Athlete

HISTORY_ROWS = 15
OLD_ROWS = 10
# A run to preview on when the athlete has none stored yet.
TYPICAL_RUN_M, TYPICAL_RUN_S = 8000.0, 45 * 60
EXAMPLE_RUN_ID = "example"


def effective_units(units: str, athlete: Athlete) -> str:
    """The form's units choice as metric or imperial ("strava" follows the profile)."""
    if units in ("metric", "imperial"):
        return units
    return "imperial" if athlete.measurement_preference == "feet" else "metric"


def preview(
    db: Session, athlete: Athlete, values: dict[str, object], now: datetime, since: datetime
) -> coaching.Suggestion:
    """The note the latest run since ``since`` gets with ``values`` (a typical run if none)."""
    zone = athlete.effective_timezone()
    day, distance = values.get("goal_race_date"), values.get("goal_race_distance_m")
    assert day is None or isinstance(day, date)
    assert distance is None or isinstance(distance, int | float)
    settings = coaching.AthleteSettings(
        units=effective_units(str(values["units"]), athlete),  # type: ignore[arg-type]
        equipment=values["equipment"],  # type: ignore[arg-type]
        level=values["level"],  # type: ignore[arg-type]
        circuits_per_week=values["circuits_per_week"],  # type: ignore[arg-type]
        include_volume=bool(values["include_volume"]),
        timezone=zone,
        goal_race=goal_race(day, distance),
    )
    latest = db.scalars(
        sa.select(Activity)
        .where(Activity.athlete_id == athlete.id, Activity.is_run.is_(True))
        .where(Activity.start >= since)
        .order_by(Activity.start.desc())
        .limit(1)
    ).first()
    if latest is not None:
        run = as_run(latest)
        history = run_history(db, athlete.id, run.start)
    else:
        start = now.replace(microsecond=0)
        offset = localtime.offset_at(start, zone)
        run = coaching.Run(EXAMPLE_RUN_ID, start, TYPICAL_RUN_M, TYPICAL_RUN_S, utc_offset_s=offset)
        history = [run]
    return coaching.suggest(settings, history, run)


@dataclasses.dataclass(frozen=True, slots=True)
class HistoryRow:
    """One recent run on the settings page; ``outcome`` says what postrun did with it."""

    start: datetime  # on the athlete's clock (naive)
    name: str
    distance_m: float
    outcome: str
    written: str | None
    file_name: str | None


def _outcome(row: Activity, superseded: set[int]) -> str:
    from_file = row.source == ActivitySource.FILE
    if from_file and row.id in superseded:
        return "The same run came from Strava too, so it counts once"
    if from_file:
        return "Counted in your volume, no note"
    if row.status == ActivityStatus.ANNOTATED and row.written_block:
        return "Note written to Strava"
    if row.status == ActivityStatus.IMPORTED:
        return "From before you connected: counted in your volume, no note"
    if row.status == ActivityStatus.PENDING:
        return "Not handled yet"
    return (row.reason or row.status).capitalize()


def recent_runs(db: Session, athlete: Athlete, since: datetime) -> list[HistoryRow]:
    """The athlete's runs since ``since``, newest first, each with what became of it."""
    return _history(db, athlete, Activity.start >= since, HISTORY_ROWS)


def old_runs(db: Session, athlete: Athlete, since: datetime) -> list[HistoryRow]:
    """The latest runs from before ``since`` (mostly files of years past), newest first."""
    return _history(db, athlete, Activity.start < since, OLD_ROWS)


def _history(
    db: Session, athlete: Athlete, when: sa.ColumnElement[bool], limit: int
) -> list[HistoryRow]:
    rows = list(
        db.scalars(
            sa.select(Activity)
            .where(Activity.athlete_id == athlete.id, Activity.is_run.is_(True), when)
            .order_by(Activity.start.desc())
            .limit(limit)
        )
    )
    superseded = superseded_file_runs(db, athlete.id, rows)
    return [
        HistoryRow(
            start=as_run(row).local_start,
            name=row.name or "Run",
            distance_m=row.distance_m,
            outcome=_outcome(row, superseded),
            written=row.written_block if row.status == ActivityStatus.ANNOTATED else None,
            file_name=row.file_name if row.source == ActivitySource.FILE else None,
        )
        for row in rows
    ]


def run_days(db: Session, athlete: Athlete, first_day: date) -> Iterator[tuple[date, float]]:
    """(local day, metres) of each run that counts, from ``first_day`` on the athlete's clock."""
    # A day early: a run late on the first Monday may start the day before in UTC.
    since = datetime.fromordinal(first_day.toordinal() - 1).replace(tzinfo=UTC)
    runs = db.scalars(
        sa.select(Activity).where(
            Activity.athlete_id == athlete.id,
            Activity.is_run.is_(True),
            Activity.start >= since,
        )
    ).all()
    superseded = superseded_file_runs(db, athlete.id, runs)
    return ((as_run(r).day, r.distance_m) for r in runs if r.id not in superseded)
