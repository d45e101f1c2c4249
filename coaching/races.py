"""Races, warm-ups and the goal race: when a run gets no circuit, and the taper weeks.

Rules and sources: docs/coaching.md#races-and-tapers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from datetime import timedelta

from coaching.localtime import week_start
from coaching.model import GoalRace
from coaching.model import Run

DAY = timedelta(days=1)
# A half marathon is 21.1 km; GPS often reads a little short, so 20.5 km counts.
LONG_RACE_M = 20_500.0
# No circuit on the two days after a race this long, nor on race day itself.
REST_DAYS_AFTER_LONG_RACE = 2
# Goal races from a half marathon up taper over three weeks, shorter ones over two.
LONG_TAPER_WEEKS, SHORT_TAPER_WEEKS = 3, 2

# Why a run gets no circuit, as the note says it.
RACE, WARM_UP, AFTER_RACE, RACE_TOMORROW = "race", "warm_up", "after_race", "race_tomorrow"


def taper_week(goal: GoalRace | None, monday: date) -> tuple[int, int] | None:
    """(index, taper length) when the week of ``monday`` is a taper week; the last is race week."""
    if goal is None:
        return None
    weeks = LONG_TAPER_WEEKS if goal.distance_m >= LONG_RACE_M else SHORT_TAPER_WEEKS
    before = (week_start(goal.day) - monday).days // 7
    if 0 <= before < weeks:
        return weeks - 1 - before, weeks
    return None


def long_race_in(runs: Sequence[Run], goal: GoalRace | None, start: date, end: date) -> bool:
    """Whether a race of half-marathon distance or more fell on a day in [start, end)."""
    if goal is not None and goal.distance_m >= LONG_RACE_M and start <= goal.day < end:
        return True
    return any(r.is_race and r.distance_m >= LONG_RACE_M and start <= r.day < end for r in runs)


def no_circuit_reason(run: Run, runs: Sequence[Run], goal: GoalRace | None) -> str | None:
    """Why ``run`` gets no circuit whatever the schedule says, or None.

    ``runs`` may hold runs after ``run``: a race later the same day makes it a warm-up.
    """
    if run.is_race:
        return RACE
    same_day = [r for r in runs if r.day == run.day and r.id != run.id]
    if any(r.is_race and r.start > run.start for r in same_day):
        return WARM_UP
    if any(r.is_race and r.start < run.start for r in same_day):
        return AFTER_RACE
    if goal is not None and goal.day in (run.day, run.day + DAY):
        return RACE_TOMORROW if goal.day == run.day + DAY else RACE
    recent = run.day - REST_DAYS_AFTER_LONG_RACE * DAY
    if long_race_in([r for r in runs if r.start < run.start], goal, recent, run.day):
        return AFTER_RACE
    return None
