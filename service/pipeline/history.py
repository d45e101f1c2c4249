"""An athlete's run history as the coaching engine sees it, and file-run de-duplication.

A run imported from a file stops counting once the same run arrives from Strava
(``same_run``), whichever of the two came first.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

import coaching
from coaching.document import STRAVA_WORKOUT_TYPES
from coaching.model import GoalRace
from service.storage.models import Activity
from service.storage.models import ActivitySource
from service.storage.models import Athlete

# How far back the coaching engine looks: enough for a 28-day EWMA to settle
# and for the 30-day longest run, with room to spare.
HISTORY_DAYS = 120


def coaching_settings(athlete: Athlete) -> coaching.AthleteSettings:
    return coaching.AthleteSettings(
        units=athlete.effective_units(),  # type: ignore[arg-type]
        equipment=athlete.equipment,  # type: ignore[arg-type]
        level=athlete.level,  # type: ignore[arg-type]
        circuits_per_week=athlete.circuits_per_week,
        include_volume=athlete.include_volume is not False,
        timezone=athlete.effective_timezone(),
        goal_race=goal_race(athlete.goal_race_date, athlete.goal_race_distance_m),
    )


def goal_race(day: date | None, distance_m: float | None) -> GoalRace | None:
    """The athlete's goal race (docs/coaching.md#races-and-tapers), if both halves are set."""
    if day is None or distance_m is None or not distance_m > 0:
        return None
    return GoalRace(day, distance_m)


def run_history(session: Session, athlete_id: int, until: datetime) -> list[coaching.Run]:
    rows = session.scalars(
        sa.select(Activity)
        .where(Activity.athlete_id == athlete_id)
        .where(Activity.is_run.is_(True))
        .where(Activity.start >= until - timedelta(days=HISTORY_DAYS))
        .where(Activity.start <= until)
        .order_by(Activity.start)
    ).all()
    # A run imported from a file stops counting once the same run arrives from Strava.
    superseded = superseded_file_runs(session, athlete_id, rows)
    return [as_run(row) for row in rows if row.id not in superseded]


def as_run(row: Activity) -> coaching.Run:
    """The row as the coaching engine reads it.

    Strava's workout_type becomes its word (race, long, workout); a type Strava uses
    for other sports is an ordinary run. ``circuit`` is what postrun prescribed with
    the run (docs/coaching.md#progression): the sessions are counted from it.
    """
    return coaching.Run(
        id=str(row.id),
        start=row.start,
        distance_m=row.distance_m,
        moving_time_s=row.moving_time_s,
        sport_type=row.sport_type or "Run",
        utc_offset_s=row.utc_offset_s or 0,
        workout_type=STRAVA_WORKOUT_TYPES.get(row.workout_type or 0),
        circuit=bool(row.circuit),
    )


# Two records are one run when they start within two minutes of each other and
# their distances differ by at most 5 % of the longer one.
SAME_RUN_START_S = 120


SAME_RUN_DISTANCE = 0.05


def same_run(start_a: datetime, distance_a: float, start_b: datetime, distance_b: float) -> bool:
    """Pure: whether two records (Strava's or a file's) describe the same run."""
    if abs((start_a - start_b).total_seconds()) > SAME_RUN_START_S:
        return False
    return abs(distance_a - distance_b) <= SAME_RUN_DISTANCE * max(distance_a, distance_b)


def superseded_file_runs(session: Session, athlete_id: int, rows: Iterable[Activity]) -> set[int]:
    """The ids of the file runs among ``rows`` that a run from Strava matches (``same_run``).

    Such a file run no longer counts: the Strava copy stands for it, whichever of the
    two arrived first. One query, and only when ``rows`` hold a file run at all.
    """
    files = [row for row in rows if row.source == ActivitySource.FILE and row.is_run]
    if not files:
        return set()
    margin = timedelta(seconds=SAME_RUN_START_S)
    strava = session.execute(
        sa.select(Activity.start, Activity.distance_m)
        .where(Activity.athlete_id == athlete_id)
        .where(Activity.is_run.is_(True))
        .where(Activity.source != ActivitySource.FILE)
        .where(Activity.start >= min(row.start for row in files) - margin)
        .where(Activity.start <= max(row.start for row in files) + margin)
    ).all()
    return {
        row.id
        for row in files
        if any(same_run(row.start, row.distance_m, s.start, s.distance_m) for s in strava)
    }
