"""The note written into the run's description: short, plain text, no blank lines.

At most 700 characters, a few lines, "•" bullets, in the athlete's units.
Flags are worded as patterns that studies associate with more risk, never as a
prediction, and the strength work is not sold as injury prevention
(Toresdahl 2020, peers-and-evidence.md §C.1: a short self-directed programme
did not cut overuse injuries).
"""

from __future__ import annotations

from datetime import datetime

from coaching import localtime
from coaching.circuit import Circuit
from coaching.units import format_distance
from coaching.units import format_range
from coaching.volume import Flag
from coaching.volume import Volume

MAX_CHARS = 700
# The flags that get a line of their own; the break and the cutback explain
# themselves on the next-week line instead.
WARNINGS = ("long_run_jump", "two_week_jump", "acwr_high")


# Beyond this a percentage says nothing more (a week after a near-empty one can be
# "up" by a number with hundreds of digits), and the note must stay short.
MAX_PERCENT = 10_000


def _percent(fraction: float) -> str:
    if fraction * 100 >= MAX_PERCENT:
        return f"over {MAX_PERCENT:,}%"
    return f"{fraction * 100:.0f}%"


def circuit_lines(circuit: Circuit, with_cues: bool = True) -> list[str]:
    stage = circuit.stage
    lines = [f"Back circuit: {stage.sets} rounds of {stage.reps} reps each"]
    for e in circuit.exercises:
        lines.append(f"• {e.variation}: {e.cue}" if with_cues else f"• {e.variation}")
    return lines


def skipped_line(due: datetime | None, per_week: int, zone: str = localtime.UTC_NAME) -> str:
    rule = f"up to {per_week} a week, 48 h apart"
    if due is None:
        return f"No back circuit after this run ({rule})."
    return (
        f"No back circuit this time ({rule}): next with your first run from"
        f" {localtime.when(due, zone)}."
    )


def volume_line(volume: Volume, units: str) -> str:
    # "This week" is the athlete's own Monday-to-Sunday week; the other figures are
    # rolling windows, as the volume maths uses them.
    line = (
        f"This week: {format_distance(volume.this_week_m, units)}"
        f" · last 7 days {format_distance(volume.last_7_days_m, units)}"
    )
    if volume.plan != "newcomer":
        # A newcomer's 4-week average counts weeks before we knew them: left out.
        line += f" · 4-week avg {format_distance(volume.weekly_average_4w_m, units)}/wk"
    if volume.acwr is not None:
        # Gabbett 2016 / Williams 2017 ratio with the Impellizzeri 2020 caveat (§B.2).
        line += f" · load ratio {volume.acwr:.2f} (7:28 d; a rough, disputed gauge)"
    return line + "."


def next_week_line(volume: Volume, units: str) -> str:
    span = format_range(*volume.next_week_m, units)
    why = {
        "build": "at most +10%: a convention, not a proven limit",
        "hold": "hold steady for a week after that jump",
        "newcomer": "a gentle start while your usual week takes shape",
        "cutback": "an easier week after three build weeks in a row",
        "restart": f"ease back in after {volume.break_days} days off",
    }[volume.plan]
    return f"Next week: {span} ({why})."


def flag_line(flag: Flag, volume: Volume, units: str) -> str:
    """One line of why, with its source, for the first warning flag."""
    if flag.code == "long_run_jump":
        longest = format_distance(volume.longest_30d_m, units)
        return (
            f"Heads-up: {_percent(flag.value)} longer than your longest run in 30 days"
            f" ({longest}); runs over 10% past it are linked to more injuries (BJSM 2025)."
        )
    if flag.code == "two_week_jump":
        return (
            f"Heads-up: weekly distance up {_percent(flag.value)} on two weeks ago; rises"
            " over 30% in two weeks are linked to more overuse injuries (Nielsen 2014)."
        )
    return (
        f"Heads-up: load ratio {flag.value:.2f}, above the 1.5 that Gabbett 2016 called a"
        " spike; the ratio is disputed (Impellizzeri 2020), so take it as a hint."
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
) -> str:
    """The whole note. Cues are dropped only if the note would pass 700 characters.

    Without ``include_volume`` the note is the circuit (or when it is next due) alone.
    """
    tail = [volume_line(volume, units), next_week_line(volume, units)] if include_volume else []
    warning = next((f for f in volume.flags if f.code in WARNINGS), None)
    if warning is not None and include_volume:
        tail.append(flag_line(warning, volume, units))
    for with_cues in (True, False):
        head = circuit_lines(circuit, with_cues) if circuit else [skipped_line(due, per_week, zone)]
        text = "\n".join(head + tail)
        if len(text) <= MAX_CHARS:
            break
    return text
