"""Weekly-volume figures, next week's range and the flags, from stored history only.

Sources are in ``/work/shared/research/peers-and-evidence.md`` (cited below as
"peers-and-evidence.md §..."). The flags describe training patterns that
studies associate with more risk; none of them predicts an injury.
"""

from __future__ import annotations

import dataclasses

from coaching.history import DAY
from coaching.history import Timeline
from coaching.history import longest_before

# Williams 2017 (peers-and-evidence.md §B.2): EWMA with lambda = 2 / (N + 1),
# N = 7 days for the acute load and 28 days for the chronic load.
ACUTE_DAYS = 7
CHRONIC_DAYS = 28
# The EWMA starts from zero this many days back; older days weigh under 1e-5.
EWMA_SPAN_DAYS = 180
# Gabbett 2016 (§B.2): a ratio at or above 1.5 is his "danger zone"; we flag above it.
ACWR_HIGH = 1.5
# Nielsen 2014 (§B.1): novices whose weekly distance rose more than 30 % over two
# weeks had more distance-related injuries (HR 1.59, borderline, p = 0.07).
TWO_WEEK_JUMP = 0.30
# BJSM 2025 cohort (§B.1): a single run more than 10 % longer than the longest run of
# the previous 30 days went with more injuries (HRR 1.64).
LONG_RUN_JUMP = 0.10
LONG_RUN_WINDOW_DAYS = 30
# The 10 % rule is a convention, not evidence: Buist 2008 (§B.1) found no
# difference (20.8 % vs 20.3 % injured). We keep it as a conservative default cap.
WEEKLY_INCREASE = 0.10
# Our convention for a conservative start: half the usual increase until four
# weeks of history show the athlete's usual week.
NEWCOMER_INCREASE = 0.05
NEWCOMER_FLOOR = 0.90
ESTABLISHED_DAYS = 28
# A build week rose at least 5 % over the week before. After three in a row we
# suggest an easier week: "3 harder + 1 easy" as in Garmin's suggested workouts
# (§A.1) and the recovery week every 4th week of §B.5. The forum advice cuts
# ~50 %; we choose a milder 20-30 % cut, our convention.
BUILD_WEEK_RISE = 0.05
BUILD_WEEKS_BEFORE_CUTBACK = 3
CUTBACK = (0.70, 0.80)
# After a flagged jump we suggest holding rather than adding more (our convention,
# following §B.5's "r = 0" weeks): 90-100 % of the current level.
HOLD = (0.90, 1.00)
# Our convention for the restart after a break of two weeks or more: 40-60 % of
# the weekly average in the four weeks before it. No study sets this number; §B.1
# (Rasmussen) notes that too little base also carries risk, hence a gradual rebuild.
RESTART = (0.40, 0.60)
# After eight weeks or more off, the old weekly average no longer describes the
# athlete (our convention, in the spirit of §B.1's caution about base): the restart
# is built from the return week itself, like a newcomer's start.
LONG_BREAK_DAYS = 56
# The ratio only counts when the last 7 days are 20 % or more above the 4-week
# average: steady weeks, and builds of up to 10 % a week (which reach about 15 %
# above the average), stay below it. Our convention; see ``assess``.
ABOVE_AVERAGE = 1.20

FLAG_ORDER = ("long_run_jump", "two_week_jump", "acwr_high", "return_after_break", "cutback_week")


@dataclasses.dataclass(frozen=True, slots=True)
class Flag:
    """A training pattern worth a heads-up, with what triggered it."""

    code: str
    value: float  # the figure behind it: a fraction, a ratio or a number of days


@dataclasses.dataclass(frozen=True, slots=True)
class Volume:
    """The week in figures and next week's range, all in metres."""

    this_week_m: float  # Monday to today on the athlete's calendar
    last_7_days_m: float
    weekly_average_4w_m: float
    longest_30d_m: float
    acwr: float | None
    change_1w: float | None
    change_2w: float | None
    next_week_m: tuple[float, float]
    plan: str  # build | hold | cutback | newcomer | restart
    flags: tuple[Flag, ...]
    break_days: int | None = None

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
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _change(now: float, before: float) -> float | None:
    # Rounded so that float noise cannot push an exact 30 % over the threshold.
    return round(now / before - 1, 9) if before > 0 else None


def ewma_acwr(timeline: Timeline) -> float | None:
    """Acute:chronic ratio of daily distance, EWMA form (Williams 2017, §B.2).

    Shown with a caveat, never used alone: the ratio is mathematically coupled
    (Lolli 2019) and may be an artefact (Impellizzeri 2020); in runners the
    BJSM 2025 cohort found no positive link with injury.
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


def _cutback_due(weeks: list[float]) -> bool:
    """Three build weeks in a row, each at least 5 % above the week before it."""
    return weeks[BUILD_WEEKS_BEFORE_CUTBACK] > 0 and all(
        weeks[k] > weeks[k + 1] * (1 + BUILD_WEEK_RISE) for k in range(BUILD_WEEKS_BEFORE_CUTBACK)
    )


def assess(timeline: Timeline) -> Volume:
    """Figures, flags and next week's range for the run at the end of ``timeline``."""
    run = timeline.run
    weeks = [timeline.week(k) for k in range(4)]
    last_7, average_4w = weeks[0], sum(weeks) / 4
    longest = longest_before(timeline.runs, run, LONG_RUN_WINDOW_DAYS)
    since = timeline.stretch_start
    established = since <= timeline.today - (ESTABLISHED_DAYS - 1) * DAY
    acwr = ewma_acwr(timeline) if established else None
    flags: list[Flag] = []

    # BJSM 2025 (§B.1): this run against the longest of the previous 30 days. Only
    # when we hold 30 days of history: otherwise "longest" would be a guess.
    knows_30_days = timeline.run_days[0] <= timeline.run_day - LONG_RUN_WINDOW_DAYS * DAY
    jump = _change(run.distance_m, longest)
    if knows_30_days and jump is not None and jump > LONG_RUN_JUMP:
        flags.append(Flag("long_run_jump", jump))

    change_2w = _change(last_7, weeks[2])
    if established:
        # Nielsen 2014 (§B.1): weekly distance now against two weeks ago.
        if change_2w is not None and change_2w > TWO_WEEK_JUMP:
            flags.append(Flag("two_week_jump", change_2w))
        # Gabbett 2016 with Williams 2017's EWMA (§B.2). Daily EWMA peaks on every
        # run day when runs are sparse (one weekly run gives about 1.65), so a high
        # ratio only counts when the week itself is well above the 4-week average:
        # steady training and 10 % builds never raise it.
        if acwr is not None and acwr > ACWR_HIGH and last_7 > average_4w * ABOVE_AVERAGE:
            flags.append(Flag("acwr_high", acwr))

    break_days: int | None = None
    found = timeline.last_break()
    if found and found[1] >= timeline.today - 6 * DAY:
        # The return week: the first run after the break fell within the last 7 days.
        before, after = found
        break_days = (after - before).days - 1
        flags.append(Flag("return_after_break", break_days))
        before_break = timeline.distance(before, ESTABLISHED_DAYS) / 4
        if break_days >= LONG_BREAK_DAYS:
            base = last_7
            low, high = NEWCOMER_FLOOR * base, (1 + NEWCOMER_INCREASE) * base
        elif before_break < last_7:
            # Already above the old level in the return week: hold there, add nothing.
            low, high = HOLD[0] * last_7, HOLD[1] * last_7
        else:
            low, high = RESTART[0] * before_break, RESTART[1] * before_break
        plan = "restart"
    elif not established:
        # Conservative start: the best 7 days of this stretch, plus at most 5 %.
        base = max(timeline.week(k, since) for k in range(4))
        plan, low, high = "newcomer", NEWCOMER_FLOOR * base, (1 + NEWCOMER_INCREASE) * base
    else:
        # The 10 % convention (Buist 2008, §B.1): the upper bound is at most 10 % above
        # the larger of last week and the 4-week average.
        base = max(last_7, average_4w)
        if _cutback_due(weeks):
            flags.append(Flag("cutback_week", BUILD_WEEKS_BEFORE_CUTBACK))
            plan, low, high = "cutback", CUTBACK[0] * base, CUTBACK[1] * base
        elif {"two_week_jump", "acwr_high"} & {f.code for f in flags}:
            plan, low, high = "hold", HOLD[0] * base, HOLD[1] * base
        else:
            plan, low, high = "build", base, (1 + WEEKLY_INCREASE) * base

    flags.sort(key=lambda f: FLAG_ORDER.index(f.code))
    return Volume(
        this_week_m=timeline.this_week(),
        last_7_days_m=last_7,
        weekly_average_4w_m=average_4w,
        longest_30d_m=longest,
        acwr=acwr,
        change_1w=_change(last_7, weeks[1]),
        change_2w=change_2w,
        next_week_m=(low, high),
        plan=plan,
        flags=tuple(flags),
        break_days=break_days,
    )
