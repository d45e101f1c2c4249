"""The run's week in figures, its target and plan, the longest-run cap and the flags.

The week's target and plan come from ``coaching.weeks`` (completed weeks only); the
figures here add what is done so far. Rules and sources: docs/coaching.md. The flags
describe patterns that studies associate with more injuries; none predicts one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date
from datetime import timedelta

from coaching.history import DAY
from coaching.history import Timeline
from coaching.history import longest_before
from coaching.localtime import week_start
from coaching.model import GoalRace
from coaching.model import Run
from coaching.weeks import CUTBACK_WEEKS
from coaching.weeks import JUMP
from coaching.weeks import WEEK
from coaching.weeks import WeekPlan
from coaching.weeks import is_slow
from coaching.weeks import plan_week

# The load ratio is worked out and kept in the JSON, never written in the note: in
# runners it showed no positive link with injury (docs/coaching.md#load-ratio).
# Williams 2017's EWMA: lambda = 2 / (N + 1), N = 7 and 28 days.
ACUTE_DAYS = 7
CHRONIC_DAYS = 28
EWMA_SPAN_DAYS = 180
# Frandsen 2025: a run more than 10 % longer than the longest of the previous 30
# days (docs/coaching.md#longest-run).
LONG_RUN_JUMP = 0.10
LONG_RUN_WINDOW_DAYS = 30
ESTABLISHED_DAYS = 28

FLAG_ORDER = ("long_run_jump", "week_jump", "return_after_break", "cutback_week")


@dataclasses.dataclass(frozen=True, slots=True)
class Flag:
    """A training pattern worth a heads-up, with what triggered it."""

    code: str
    value: float  # the figure behind it: a fraction, a ratio or a number of days


@dataclasses.dataclass(frozen=True, slots=True)
class Volume:
    """The week in figures, its target and next week's, all in metres (times in seconds)."""

    this_week_m: float  # Monday to today on the athlete's calendar
    last_7_days_m: float
    weekly_average_4w_m: float
    longest_30d_m: float
    acwr: float | None
    change_1w: float | None
    change_2w: float | None
    next_week_m: tuple[float, float]
    plan: str  # build | hold | cutback | rebuild | restart | recover | taper | race_week
    flags: tuple[Flag, ...]
    break_days: int | None = None
    week_target_m: tuple[float, float] | None = None
    week_target_s: tuple[float, float] | None = None
    week_done_m: float = 0.0
    week_time_s: int = 0
    longest_run_cap_m: float | None = None
    time_based: bool = False
    # Sundays: next week's plan and target, shown in the note after the week's last run.
    next_week: WeekPlan | None = None
    step: int | None = None
    steps: int | None = None
    race_day: date | None = None
    normal_m: float = 0.0
    pre_race_m: float = 0.0  # race week: the running done before race day

    @property
    def flag_codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.flags)

    def to_dict(self) -> dict[str, object]:
        return {
            "this_week_m": round(self.this_week_m, 1),
            "last_7_days_m": round(self.last_7_days_m, 1),
            "weekly_average_4w_m": round(self.weekly_average_4w_m, 1),
            "longest_30d_m": round(self.longest_30d_m, 1),
            "acwr": None if self.acwr is None else round(self.acwr, 2),
            "change_1w": _rounded(self.change_1w),
            "change_2w": _rounded(self.change_2w),
            "next_week_m": [round(self.next_week_m[0]), round(self.next_week_m[1])],
            "plan": self.plan,
            "flags": list(self.flag_codes),
            "week_target_m": _pair(self.week_target_m),
            "week_target_s": _pair(self.week_target_s),
            "week_done_m": round(self.week_done_m, 1),
            "week_time_s": self.week_time_s,
            "longest_run_cap_m": None
            if self.longest_run_cap_m is None
            else round(self.longest_run_cap_m),
            "time_based": self.time_based,
            "next_week_plan": self.next_week.plan if self.next_week else None,
        }


def _pair(pair: tuple[float, float] | None) -> list[int] | None:
    return None if pair is None else [round(pair[0]), round(pair[1])]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _change(now: float, before: float) -> float | None:
    # Rounded so that float noise cannot push an exact 30 % over the threshold.
    return round(now / before - 1, 9) if before > 0 else None


def ewma_acwr(timeline: Timeline) -> float | None:
    """Acute:chronic ratio of daily distance, EWMA form (Williams 2017).

    In the JSON only (docs/coaching.md#load-ratio): the ratio is mathematically
    coupled (Lolli 2019), may be an artefact (Impellizzeri 2020), and in runners
    Frandsen 2025 found no positive link with injury.
    """
    lam_a = 2 / (ACUTE_DAYS + 1)
    lam_c = 2 / (CHRONIC_DAYS + 1)
    acute = chronic = 0.0
    first = max(timeline.run_days[0], timeline.today - EWMA_SPAN_DAYS * DAY)
    for offset in range((timeline.today - first).days + 1):
        load = timeline.daily_m.get(first + offset * DAY, 0.0)
        acute = lam_a * load + (1 - lam_a) * acute
        chronic = lam_c * load + (1 - lam_c) * chronic
    return acute / chronic if chronic > 0 else None


def longest_run_cap(runs: Sequence[Run], run: Run) -> float | None:
    """10 % over the longest run (races aside) that still counts for the rest of the week.

    The cap holds for the days left in the week (next week's, after a Sunday run), so
    it uses the longest run within 30 days of the week's last day: a runner who stays
    under it is never flagged. None when no such run is known.
    """
    monday = week_start(run.day) + (WEEK if run.day.weekday() == 6 else timedelta(0))
    since = monday + 6 * DAY - (LONG_RUN_WINDOW_DAYS - 1) * DAY
    longest = max(
        (r.distance_m for r in runs if since <= r.day <= run.day and not r.is_race), default=0.0
    )
    return (1 + LONG_RUN_JUMP) * longest if longest > 0 else None


def assess(timeline: Timeline, goal: GoalRace | None = None) -> Volume:
    """Figures, target, cap and flags for the run at the end of ``timeline``."""
    run = timeline.run
    weeks = [timeline.week(k) for k in range(4)]
    last_7, average_4w = weeks[0], sum(weeks) / 4
    longest = longest_before(timeline.runs, run, LONG_RUN_WINDOW_DAYS)
    established = timeline.stretch_start <= timeline.today - (ESTABLISHED_DAYS - 1) * DAY
    monday = week_start(run.day)
    week = plan_week(timeline.runs, monday, goal)
    this = [r for r in timeline.runs if r.day >= monday]
    first_week = not any(r.day < monday for r in timeline.runs)
    done_m = sum(r.distance_m for r in this)
    flags: list[Flag] = []

    # Frandsen 2025: this run against the longest of the previous 30 days, when we
    # hold 30 days of history. Races are what the runner trained for: no flag.
    knows_30_days = timeline.run_days[0] <= timeline.run_day - LONG_RUN_WINDOW_DAYS * DAY
    jump = _change(run.distance_m, longest)
    if knows_30_days and not run.is_race and jump is not None and jump > LONG_RUN_JUMP:
        flags.append(Flag("long_run_jump", jump))
    # The week so far against the recent normal, only beyond this week's own target:
    # a runner who keeps to the target is never flagged (docs/coaching.md#weekly-jump).
    over_target = week.target_m is None or done_m > week.target_m[1]
    if week.normal_m > 0 and over_target and done_m > (1 + JUMP) * week.normal_m:
        flags.append(Flag("week_jump", done_m / week.normal_m - 1))
    if week.plan in ("rebuild", "restart") and week.break_days is not None:
        flags.append(Flag("return_after_break", week.break_days))
    if week.plan == "cutback":
        flags.append(Flag("cutback_week", CUTBACK_WEEKS))
    flags.sort(key=lambda f: FLAG_ORDER.index(f.code))

    upcoming = plan_week(timeline.runs, monday + WEEK, goal) if run.day.weekday() == 6 else None
    shown = upcoming if upcoming is not None else week
    return Volume(
        this_week_m=timeline.this_week(),
        last_7_days_m=last_7,
        weekly_average_4w_m=average_4w,
        longest_30d_m=longest,
        acwr=ewma_acwr(timeline) if established else None,
        change_1w=_change(last_7, weeks[1]),
        change_2w=_change(last_7, weeks[2]),
        next_week_m=shown.target_m or (0.0, 0.0),
        plan=week.plan,
        flags=tuple(flags),
        break_days=week.break_days,
        week_target_m=week.target_m,
        week_target_s=week.target_s,
        week_done_m=done_m,
        week_time_s=sum(r.moving_time_s for r in this),
        longest_run_cap_m=longest_run_cap(timeline.runs, run),
        time_based=week.time_based or (first_week and _slow(this)),
        next_week=upcoming,
        step=week.step,
        steps=week.steps,
        race_day=week.race_day,
        normal_m=week.normal_m,
        pre_race_m=sum(r.distance_m for r in this if week.race_day and r.day < week.race_day),
    )


def _slow(runs: Sequence[Run]) -> bool:
    """A first week reads in minutes when most of its running time is slow or trail."""
    total = sum(r.moving_time_s for r in runs)
    return total > 0 and 2 * sum(r.moving_time_s for r in runs if is_slow(r)) >= total
