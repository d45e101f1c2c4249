"""Realistic multi-week histories, and a runner who does what postrun advises."""

from __future__ import annotations

import dataclasses
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

from coaching import AthleteSettings
from coaching import Run
from coaching import suggest
from coaching.localtime import week_start
from coaching.model import GoalRace
from coaching.weeks import plan_week

START = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)  # a Monday
DAY = timedelta(days=1)


def run(
    day: int,
    km: float,
    *,
    pace_s: float = 360.0,
    hour: int = 7,
    sport: str = "Run",
    kind: str | None = None,
) -> Run:
    """A run ``day`` days after START (a Monday), ``km`` long at ``pace_s`` seconds per km."""
    return Run(
        id=f"d{day}h{hour}",
        start=START + timedelta(days=day, hours=hour - 7),
        distance_m=km * 1000,
        moving_time_s=round(km * pace_s),
        sport_type=sport,
        workout_type=kind,
    )


def monday(week: int) -> date:
    return (START + timedelta(days=7 * week)).date()


def steady(weeks: int, days: dict[int, float], first_week: int = 0, **kw: object) -> list[Run]:
    """The same week ``weeks`` times from ``first_week``: weekday -> km."""
    return [
        run(7 * w + d, km, **kw)  # type: ignore[arg-type]
        for w in range(first_week, first_week + weeks)
        for d, km in sorted(days.items())
    ]


def follow(
    history: list[Run],
    first_week: int,
    weeks: int,
    shares: dict[int, float],
    *,
    goal: GoalRace | None = None,
    pace_s: float = 360.0,
    top: bool = True,
    start_km: float = 20.0,
) -> list[Run]:
    """Weeks of a runner who runs what postrun asks: the top of each week's range.

    ``shares`` maps weekday to its part of the week; a run never passes the
    longest-run cap (10 % over the longest of the last 30 days).
    """
    runs = list(history)
    for w in range(first_week, first_week + weeks):
        plan = plan_week(runs, monday(w), goal)
        if plan.target_s is not None:
            week_km = plan.target_s[1 if top else 0] / pace_s
        elif plan.target_m is not None:
            week_km = plan.target_m[1 if top else 0] / 1000
        else:
            week_km = start_km
        for weekday, share in sorted(shares.items()):
            day = monday(w) + weekday * DAY
            if goal is not None and day == goal.day:
                runs.append(run(7 * w + weekday, goal.distance_m / 1000, kind="race"))
                continue
            recent = [r.distance_m for r in runs if day - 29 * DAY <= r.day and not r.is_race]
            km = week_km * share
            if recent:
                km = min(km, max(recent) * 1.1 / 1000 * 0.999)
            if goal is not None and goal.day > day and (goal.day - day).days <= 7:
                km = min(km, 8.0)
            runs.append(run(7 * w + weekday, round(km, 3), pace_s=pace_s))
    return runs


def notes(runs: list[Run], athlete: AthleteSettings | None = None) -> list:  # type: ignore[type-arg]
    """Each run's note in turn, storing ``circuit=True`` on the runs that got one, as the
    pipeline does."""
    athlete = athlete or AthleteSettings()
    done: list[Run] = []
    out = []
    for each in sorted(runs, key=lambda r: r.start):
        suggestion = suggest(athlete, [*done, each], each)
        done.append(dataclasses.replace(each, circuit=suggestion.circuit is not None))
        out.append(suggestion)
    return out


def by_week(suggestions: list) -> dict[date, list]:  # type: ignore[type-arg]
    weeks: dict[date, list] = {}  # type: ignore[type-arg]
    for s in suggestions:
        weeks.setdefault(week_start(s.run.day), []).append(s)
    return weeks
