"""One target per local Monday-to-Sunday week, from the completed weeks before it only.

Every run of a week reads the same target and plan, because nothing inside the week
feeds them. Rules and sources: docs/coaching.md#weekly-target and the sections it
links to.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date
from datetime import timedelta

from coaching import races
from coaching.localtime import week_start
from coaching.model import GoalRace
from coaching.model import Run

WEEK = timedelta(days=7)
# Far enough back to see the level held before a six-week injury, short enough to
# sit inside the 120 days of history the pipeline passes for every run of a week.
LOOKBACK_WEEKS = 15
# "Recent normal": the highest of the last eight completed weeks (docs/coaching.md#recent-normal).
NORMAL_WEEKS = 8
BUILD = (1.0, 1.1)  # the 10 % convention (docs/coaching.md#build)
HOLD = (0.9, 1.0)
CUTBACK = (0.7, 0.8)
JUMP = 0.30  # after Nielsen 2014 (docs/coaching.md#weekly-jump)
# A cutback follows three weeks that each set a new high and together climbed 20 %
# over the best week before them (docs/coaching.md#cutback).
CUTBACK_CLIMB = 0.20
CUTBACK_WEEKS = 3
# A week under half the recent normal is an off week; two in a row make a dip.
OFF_WEEK = 0.5
DIP_WEEKS = 2
CLIMB_WINDOW = 6  # how many weeks after a dip the steps can still run
REBUILD_STEPS = (0.5, 0.75, 0.9, 1.0)  # docs/coaching.md#breaks
RESTART_STEPS = (0.3, 0.45, 0.6, 0.75, 0.9, 1.0)
STEP_FLOOR = 0.9  # each step's range is 90-100 % of it
# A step counts as done at 85 % of it: the longest-run cap can hold a runner a little
# under the range, and that runner still moves on.
STEP_DONE = 0.85
SHORT_BREAK_DAYS = 31
RECOVER = (0.5, 0.7)  # of the 4-week average (docs/coaching.md#races-and-tapers)
# Bosquet 2007: volume down 41-60 % by race week, over two to three weeks.
TAPER_LONG = ((0.75, 0.85), (0.6, 0.7), (0.4, 0.5))
TAPER_SHORT = ((0.7, 0.8), (0.45, 0.55))
# Time on feet instead of distance when most running time is trail or slower than
# 7:30 per km (docs/coaching.md#time-on-feet).
SLOW_S_PER_M = 0.45


@dataclasses.dataclass(frozen=True, slots=True)
class WeekPlan:
    """A week's plan; targets in metres and, when time-based, in seconds."""

    plan: str
    target_m: tuple[float, float] | None
    target_s: tuple[float, float] | None
    time_based: bool
    normal_m: float  # the highest completed week of the last eight, in metres
    break_days: int | None = None
    step: int | None = None  # rebuild or restart step, 1-based
    steps: int | None = None
    race_day: date | None = None  # the goal race, in taper and race weeks


def is_slow(run: Run) -> bool:
    """Trail runs, walk-runs and runs slower than 7:30 per km count in minutes."""
    if run.sport_type == "TrailRun":
        return True
    return run.distance_m <= 0 or run.moving_time_s / run.distance_m > SLOW_S_PER_M


def _weeks(runs: Sequence[Run], monday: date) -> tuple[list[float | None], list[float | None]]:
    """Metres and seconds for weeks W-1, W-2, ... (None: before we knew the athlete).

    A first week that began after Tuesday is too short to read as a whole week.
    """
    before = [r for r in runs if r.day < monday]
    metres: list[float | None] = [None] * LOOKBACK_WEEKS
    seconds: list[float | None] = [None] * LOOKBACK_WEEKS
    if not before:
        return metres, seconds
    first = min(r.day for r in before)
    known_from = week_start(first) + (WEEK if first.weekday() > 1 else timedelta(0))
    for k in range(LOOKBACK_WEEKS):
        if monday - (k + 1) * WEEK >= known_from:
            metres[k], seconds[k] = 0.0, 0.0
    for run in before:
        if run.is_race and run.distance_m >= races.LONG_RACE_M:
            continue  # a long race is not the level the runner trains at
        k = (monday - week_start(run.day)).days // 7 - 1
        if 0 <= k < LOOKBACK_WEEKS and metres[k] is not None:
            metres[k] = (metres[k] or 0.0) + run.distance_m
            seconds[k] = (seconds[k] or 0.0) + run.moving_time_s
    return metres, seconds


def _time_based(runs: Sequence[Run], monday: date) -> bool:
    recent = [r for r in runs if monday - 4 * WEEK <= r.day < monday]
    total = sum(r.moving_time_s for r in recent)
    slow = sum(r.moving_time_s for r in recent if is_slow(r))
    return total > 0 and slow * 2 >= total


def highest(values: Sequence[float | None], start: int = 0, count: int = NORMAL_WEEKS) -> float:
    return max((v for v in values[start : start + count] if v is not None), default=0.0)


def counted(values: Sequence[float | None]) -> list[float | None]:
    """The weeks as they count towards the recent normal (docs/coaching.md#recent-normal).

    Oldest first, a week counts at most 30 % above the normal of the weeks before it,
    so one huge week is neither held nor built on as if it were the runner's level.
    """
    out = list(values)
    for k in reversed(range(len(out))):
        value, before = out[k], highest(out, k + 1)
        if value is not None and before > 0:
            out[k] = min(value, (1 + JUMP) * before)
    return out


def _gap_days(runs: Sequence[Run], since: date, monday: date) -> int:
    """The longest stretch without a run between ``since`` and ``monday``, in days."""
    days = sorted({r.day for r in runs if r.day < monday})
    anchor = max((d for d in days if d < since), default=since)
    later = [d for d in days if d >= since]
    longest = 0
    for a, b in zip([anchor, *later], [*later, monday], strict=True):
        longest = max(longest, (b - a).days - 1)
    return longest


def _dip(
    v: list[float | None], c: list[float | None], runs: Sequence[Run], monday: date
) -> tuple[str, float, int, float] | None:
    """A recent dip (two or more off weeks): (plan, old level, days off, best week since).

    ``c`` is ``v`` as the weeks count towards the normal: a huge week does not make the
    usual weeks after it look like a break, nor become the level to climb back to.
    """

    def off(k: int) -> bool:
        value = c[k]
        level = highest(c, k + 1, 12)
        return value is not None and level > 0 and value < OFF_WEEK * level

    for end in range(CLIMB_WINDOW):
        if end + DIP_WEEKS > LOOKBACK_WEEKS or not all(off(end + j) for j in range(DIP_WEEKS)):
            continue
        start = end
        while start + 1 < LOOKBACK_WEEKS and off(start + 1):
            start += 1
        old = highest(c, start + 1)
        if old <= 0:
            return None
        days = _gap_days(runs, monday - (start + 1) * WEEK, monday)
        best = highest(v, 0, end + 1)
        return ("restart" if days > SHORT_BREAK_DAYS else "rebuild"), old, days, best
    return None


def _scaled(band: tuple[float, float], base: float) -> tuple[float, float]:
    return band[0] * base, band[1] * base


def _step(
    steps: Sequence[float], last: float, old: float
) -> tuple[int, tuple[float, float]] | None:
    """The first step (1-based) that last week did not reach, and its range."""
    if old <= 0:
        return None
    for number, step in enumerate(steps, start=1):
        if last < STEP_DONE * step * old:
            return number, _scaled((STEP_FLOOR * step, step), old)
    return None


def _cutback_due(v: list[float | None]) -> bool:
    """Three new highs in a row that together climbed 20 % over the best week before."""
    if any(v[k] is None for k in range(CUTBACK_WEEKS)):
        return False
    for k in range(CUTBACK_WEEKS):
        if not (v[k] or 0.0) > highest(v, k + 1) > 0:
            return False
    return (v[0] or 0.0) >= (1 + CUTBACK_CLIMB) * highest(v, CUTBACK_WEEKS)


def _plan(
    v: list[float | None], runs: Sequence[Run], monday: date, goal: GoalRace | None
) -> tuple[str, tuple[float, float] | None, dict[str, object]]:
    """The plan and target in the week's own measure (metres or seconds)."""
    c = counted(v)
    taper = races.taper_week(goal, monday)
    if taper is not None and goal is not None:
        index, weeks = taper
        bands = TAPER_LONG if weeks == len(TAPER_LONG) else TAPER_SHORT
        # The level before the taper began: the weeks before its first week.
        level = highest(c, index)
        plan = "race_week" if index == weeks - 1 else "taper"
        target = _scaled(bands[index], level) if level > 0 else None
        return plan, target, {"race_day": goal.day}
    if races.long_race_in(runs, goal, monday - WEEK, monday):
        known = [x for x in c[:4] if x is not None]
        average = sum(known) / len(known) if known else 0.0
        return "recover", _scaled(RECOVER, average) if average > 0 else None, {}
    last = v[0]
    for back in range(2, len(REBUILD_STEPS) + 1):
        # After the recovery week, back to the level held before the race in steps.
        if last is not None and races.long_race_in(
            runs, goal, monday - back * WEEK, monday - (back - 1) * WEEK
        ):
            found = _step(REBUILD_STEPS, last, highest(c, back))
            if found is not None:
                number, target = found
                return "rebuild", target, {"step": number, "steps": len(REBUILD_STEPS)}
            break
    dip = _dip(v, c, runs, monday)
    if dip is not None and last is not None:
        plan, old, days, best = dip
        steps = RESTART_STEPS if plan == "restart" else REBUILD_STEPS
        # Steps never go back: the best week since the dip says how far the runner got.
        found = _step(steps, best, old)
        if found is not None:
            number, target = found
            extra: dict[str, object] = {"break_days": days, "step": number}
            extra["steps"] = len(steps)
            return plan, target, extra
    normal = highest(c)
    if normal <= 0:
        # Known weeks, all empty: back after a break longer than we can see.
        has_weeks = any(x is not None for x in v)
        return ("restart" if has_weeks else "build"), None, {}
    if last is not None and last > (1 + JUMP) * highest(c, 1) > 0:
        # Hold at the level last week counts for: at most 30 % over the normal before it.
        return "hold", _scaled(HOLD, c[0] or 0.0), {}
    if dip is None and _cutback_due(v):
        return "cutback", _scaled(CUTBACK, normal), {}
    return "build", _scaled(BUILD, normal), {}


def plan_week(runs: Sequence[Run], monday: date, goal: GoalRace | None = None) -> WeekPlan:
    """The plan for the week starting ``monday``, from runs before it (later ones are ignored)."""
    metres, seconds = _weeks(runs, monday)
    time_based = _time_based(runs, monday)
    plan, target, extra = _plan(seconds if time_based else metres, runs, monday, goal)
    target_m, target_s = target, None
    if time_based and target is not None:
        done_m = sum(x for x in metres[:4] if x is not None)
        done_s = sum(x for x in seconds[:4] if x is not None)
        pace = done_m / done_s if done_s > 0 else 0.0  # metres per second
        target_s, target_m = target, (target[0] * pace, target[1] * pace)
    return WeekPlan(
        plan=plan,
        target_m=target_m,
        target_s=target_s,
        time_based=time_based,
        normal_m=highest(counted(metres)),
        break_days=extra.get("break_days"),  # type: ignore[arg-type]
        step=extra.get("step"),  # type: ignore[arg-type]
        steps=extra.get("steps"),  # type: ignore[arg-type]
        race_day=extra.get("race_day"),  # type: ignore[arg-type]
    )
