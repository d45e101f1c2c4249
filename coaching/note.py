"""The note written into the run's description: short, plain text, no blank lines.

At most 700 characters, a few lines, "•" bullets, in the athlete's units. Flags are
worded as patterns that studies link with more injuries, never as a prediction, and
the strength work is not sold as injury prevention (docs/coaching.md#the-note).
The load ratio stays out of the text (docs/coaching.md#load-ratio).
"""

from __future__ import annotations

import math
from datetime import date
from datetime import datetime

from coaching import localtime
from coaching import races
from coaching.circuit import Circuit
from coaching.units import format_amount
from coaching.units import format_distance
from coaching.units import format_range
from coaching.units import unit_label
from coaching.volume import Flag
from coaching.volume import Volume
from coaching.weeks import WeekPlan

MAX_CHARS = 700
# The flags that get a line of their own; the others explain themselves in the plan.
WARNINGS = ("long_run_jump", "week_jump")
# Weeks that ask for less than the usual week: no longest-run cap in them.
LESS_THAN_USUAL = ("recover", "taper", "race_week", "rebuild", "restart", "cutback")
# Beyond this a percentage says nothing more, and the note must stay short.
MAX_PERCENT = 10_000

NO_CIRCUIT = {
    races.RACE: "Race day: no back circuit today.",
    races.WARM_UP: "Warm-up before your race: no back circuit.",
    races.AFTER_RACE: "No back circuit so soon after a race: let your body recover.",
    races.RACE_TOMORROW: "Race tomorrow: no back circuit today.",
}


def _percent(fraction: float) -> str:
    """A rise as a percentage that never reads as the threshold it crossed (10.4%, not 10%)."""
    value = fraction * 100
    if value >= MAX_PERCENT:
        return f"over {MAX_PERCENT:,}%"
    if value < 100:
        return f"{math.ceil(value * 10 - 1e-9) / 10:.1f}%"
    return f"{math.floor(value):.0f}%"


def _day(day: date) -> str:
    return f"{localtime.WEEKDAYS[day.weekday()]} {day.day} {localtime.MONTHS[day.month - 1]}"


def minutes(seconds: float) -> str:
    total = round(seconds / 60)
    return f"{total} min" if total < 60 else f"{total // 60} h {total % 60:02d}"


def _minutes_range(low: float, high: float) -> str:
    lo, hi = minutes(low), minutes(high)
    if lo == hi:
        return f"about {hi}"
    if lo.endswith(" min") and hi.endswith(" min"):
        return f"{lo[:-4]}–{hi}"
    return f"{lo}–{hi}"


def circuit_lines(circuit: Circuit, with_cues: bool = True) -> list[str]:
    stage = circuit.stage
    lines = [
        f"Back circuit, session {circuit.sessions_done + 1}: {stage.sets} rounds of"
        f" {stage.reps} reps, {circuit.load}"
    ]
    for e in circuit.exercises:
        lines.append(f"• {e.variation}: {e.cue}" if with_cues else f"• {e.variation}")
    return lines


def skipped_line(
    due: datetime | None, per_week: int, zone: str = localtime.UTC_NAME, hard_day: bool = False
) -> str:
    """Why this run has no circuit, and when the next one comes.

    ``hard_day``: a long run or a workout held back only by the four-day wait
    (docs/coaching.md#circuit-schedule); the due time has passed, so it is not given.
    """
    if hard_day:
        return (
            "No back circuit after a long run or a workout within 4 days of the last one:"
            " your next easy run gets it."
        )
    rule = f"up to {per_week} a week, 48 h apart"
    if due is None:
        return f"No back circuit after this run ({rule})."
    return (
        f"No back circuit this time ({rule}): next with your first run from"
        f" {localtime.when(due, zone)}."
    )


def why(week: WeekPlan | Volume) -> str:
    """The plan in a few words."""
    if week.plan == "rebuild":
        # A break sets break_days; the climb back after a long race does not.
        after = "a short break" if week.break_days is not None else "your race"
        return f"step {week.step} of {week.steps} back to your usual week after {after}"
    if week.plan == "restart":
        return f"a cautious restart after a long break, step {week.step} of {week.steps}"
    if week.plan == "taper" and week.race_day is not None:
        return f"taper for your race on {_day(week.race_day)}"
    return {
        "build": "at most 10% over your usual week",
        "hold": "ease back after last week's big rise",
        "cutback": "an easier week after three rising weeks",
        "recover": "an easy week after your race",
        "taper": "taper for your race",
        "race_week": "race week: keep it light before race day",
    }.get(week.plan, week.plan)


def _target(week: WeekPlan | Volume, units: str) -> str | None:
    if isinstance(week, Volume):
        target_m, target_s = week.week_target_m, week.week_target_s
    else:
        target_m, target_s = week.target_m, week.target_s
    if target_m is None:
        return None
    if target_s is not None:
        return f"{_minutes_range(*target_s)} on your feet (about {format_range(*target_m, units)})"
    return format_range(*target_m, units)


def week_line(volume: Volume, units: str) -> str:
    """What this week asks for and what is done so far, in minutes too when time-based."""
    done = f"{format_amount(volume.week_done_m, units)} {unit_label(units)}"
    target = _target(volume, units)
    if volume.time_based and volume.week_target_s is not None and volume.plan != "race_week":
        return (
            f"This week: {minutes(volume.week_time_s)} of {_minutes_range(*volume.week_target_s)}"
            f" on your feet, {done} so far ({why(volume)})."
        )
    if volume.time_based:
        done = f"{minutes(volume.week_time_s)}, {done}"
    if target is None:
        if volume.plan == "restart":
            return f"This week: {done} so far. Welcome back: a weekly target follows this week."
        return f"This week: {done} so far; a weekly target follows your first full week."
    if volume.plan == "race_week":
        before = f"{format_amount(volume.pre_race_m, units)} {unit_label(units)}"
        return f"Race week: {before} of {target} before race day; keep it light."
    if not volume.time_based:
        done = format_amount(volume.week_done_m, units)  # "18 of 40–44 km"
    return f"This week: {done} of {target} ({why(volume)})."


def cap_line(volume: Volume, units: str) -> str | None:
    """The longest-run cap, except in weeks that ask for less than usual anyway.

    Those include the climb back after a break or a race, where the cap may still come
    from a long run before it (26 km in a 24-27 km week): the steps are the limit then.
    A cap above the week's whole target is left out too (docs/coaching.md#longest-run).
    """
    week = volume.next_week
    plan = week.plan if week is not None else volume.plan
    target = week.target_m if week is not None else volume.week_target_m
    cap = volume.longest_run_cap_m
    if cap is None or plan in LESS_THAN_USUAL:
        return None
    if target is not None and cap > target[1]:
        return None
    when = "next week" if volume.next_week is not None else "this week"
    return f"Longest run {when}: up to {format_distance(cap, units)}."


def next_week_line(volume: Volume, units: str) -> str | None:
    upcoming = volume.next_week
    if upcoming is None:
        return None
    target = _target(upcoming, units)
    if target is None:
        return "Next week: a target follows once we have seen a full week."
    return f"Next week: {target} ({why(upcoming)})."


def flag_line(flag: Flag, volume: Volume, units: str) -> str:
    """One line of why, with its source, for the first warning flag."""
    if flag.code == "long_run_jump":
        longest = format_distance(volume.longest_30d_m, units)
        return (
            f"Heads-up: {_percent(flag.value)} longer than your longest run in 30 days"
            f" ({longest}); runs over 10% past it are linked to more injuries (Frandsen 2025)."
        )
    normal = format_distance(volume.normal_m, units)
    return (
        f"Heads-up: this week is {_percent(flag.value)} above your usual week ({normal});"
        " big rises in weekly distance are linked to more overuse injuries (Nielsen 2014)."
    )


def compose(
    *,
    circuit: Circuit | None,
    due: datetime | None,
    per_week: int,
    volume: Volume,
    units: str,
    include_volume: bool = True,
    zone: str = localtime.UTC_NAME,
    no_circuit: str | None = None,
    sessions_done: int = 0,
    hard_day: bool = False,
) -> str:
    """The whole note. Cues are dropped only if the note would pass 700 characters.

    Without ``include_volume`` the note is the circuit (or why there is none) alone.
    """
    tail: list[str] = []
    if include_volume:
        optional = [cap_line(volume, units), next_week_line(volume, units)]
        tail = [week_line(volume, units), *(line for line in optional if line)]
        warning = next((f for f in volume.flags if f.code in WARNINGS), None)
        if warning is not None:
            tail.append(flag_line(warning, volume, units))
    if circuit is not None:
        heads = [circuit_lines(circuit, True), circuit_lines(circuit, False)]
    elif no_circuit is not None:
        heads = [[NO_CIRCUIT[no_circuit]]]
    else:
        heads = [[skipped_line(due, per_week, zone, hard_day)]]
    text = ""
    for head in heads:
        text = "\n".join(head + tail)
        if len(text) <= MAX_CHARS:
            break
    return text
