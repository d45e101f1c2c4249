"""The weekly-mileage chart on the settings page: an SVG string built here, no JavaScript.

Bars are the distance run in each of the last twelve weeks (Monday to Sunday,
on the athlete's own calendar: each run counts on its local day). The range
postrun suggests for next week has a slot of its own at the right: a dashed
bracket over an empty column, never drawn across the weeks already run. Dates
label the weeks that matter (the first, the tallest, this week); every bar names
its week in its tooltip. Every piece of text is escaped; the numbers are
formatted by us.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from datetime import date
from datetime import timedelta
from html import escape

from coaching.localtime import MONTHS
from coaching.localtime import UTC_NAME
from coaching.localtime import week_start
from coaching.units import format_amount
from coaching.units import format_range
from coaching.units import to_units
from coaching.units import unit_label

WEEKS = 12
WIDTH, HEIGHT = 480, 262
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 24, 62
# Next week's slot is this many bar slots wide, with a gap before it.
NEXT_SLOT, NEXT_GAP = 1.3, 0.3
BAR, BAND = "#3b6ea5", "#fc4c02"
TEXT = 'font-size="14" fill="#555"'
# A caption longer than this (a long zone name) is squeezed to fit the chart's width.
CAPTION_CHARS = 60


@dataclasses.dataclass(frozen=True, slots=True)
class Week:
    monday: date
    distance_m: float


def first_week(today: date, weeks: int = WEEKS) -> date:
    """The Monday that starts the chart's window, ``weeks`` weeks ending with today's."""
    return week_start(today) - timedelta(weeks=weeks - 1)


def weekly_totals(
    runs: Iterable[tuple[date, float]], today: date, weeks: int = WEEKS
) -> list[Week]:
    """Distance per week for the ``weeks`` weeks ending with the one holding ``today``.

    ``runs`` gives each run's local day and distance; ``today`` is the athlete's today.
    """
    first = first_week(today, weeks)
    totals = {first + timedelta(weeks=k): 0.0 for k in range(weeks)}
    for day, distance_m in runs:
        monday = week_start(day)
        if monday in totals:
            totals[monday] += distance_m
    return [Week(monday, total) for monday, total in sorted(totals.items())]


def _nice_ceiling(value: float) -> float:
    """A round axis top at or above ``value`` (1, 2, 2.5, 5 × a power of ten)."""
    if value <= 0:
        return 10.0
    power = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10.0 * power


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _day(monday: date) -> str:
    return f"{monday.day} {MONTHS[monday.month - 1]}"


def labelled_weeks(values: Sequence[float]) -> list[int]:
    """The weeks that get a date under their bar: the first, the tallest and this (last) one."""
    if not values:
        return []
    last = len(values) - 1
    chosen = {0, last}
    if max(values) > 0:
        chosen.add(max(range(len(values)), key=lambda k: (values[k], k)))
    return sorted(chosen)


def caption(units: str, zone: str) -> str:
    """The line under the chart, naming the athlete's own time zone."""
    where = "UTC" if zone == UTC_NAME else f"{zone} time"
    return f"{unit_label(units)} per week (weeks start Monday, {where})"


def weekly_chart(
    weeks: Sequence[Week],
    band_m: tuple[float, float] | None,
    units: str,
    zone: str = UTC_NAME,
) -> str:
    """The chart as a standalone ``<svg>`` element (``units``: metric or imperial)."""
    label = unit_label(units)
    values = [to_units(w.distance_m, units) for w in weeks]
    if band_m is not None and band_m[1] <= 0:
        band_m = None  # no range yet (a first run): an empty slot
    band = (to_units(band_m[0], units), to_units(band_m[1], units)) if band_m else None
    top = _nice_ceiling(max([*values, band[1] if band else 0.0, 1.0]) * 1.05)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / (max(1, len(weeks)) + NEXT_GAP + NEXT_SLOT)
    base = TOP + plot_h

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / top)

    summary = f"Distance per week for the last {len(weeks)} weeks, in {label}"
    if band_m:
        summary += f"; suggested for next week {format_range(*band_m, units)}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(summary)}" class="chart">',
        f"<title>{escape(summary)}</title>",
    ]
    for k in range(5):
        value = top * k / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            'stroke="#ddd" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y(value) + 5:.1f}" text-anchor="end" {TEXT}>'
            f"{escape(_num(value))}</text>"
        )
    labelled = labelled_weeks(values)
    row: dict[int, int] = {}
    for index in labelled:  # a date next to another one goes one line lower
        row[index] = 1 if index - 1 in row and row[index - 1] == 0 else 0
    for index, (week, value) in enumerate(zip(weeks, values, strict=True)):
        x = LEFT + index * slot + slot * 0.15
        tip = f"Week of {_day(week.monday)}: {_num(value)} {label}"
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y(value):.1f}" width="{slot * 0.7:.1f}" '
            f'height="{base - y(value):.1f}" fill="{BAR}"><title>{escape(tip)}</title></rect>'
        )
        if index in row:
            parts.append(
                f'<text class="week" x="{x + slot * 0.35:.1f}" y="{base + 17 + 15 * row[index]}" '
                f'text-anchor="middle" {TEXT}>{escape(_day(week.monday))}</text>'
            )
    parts.extend(_next_week(band_m, units, LEFT + (len(weeks) + NEXT_GAP) * slot, slot, y))
    words = caption(units, zone)
    fit = f' textLength="{WIDTH - 8}" lengthAdjust="spacingAndGlyphs"'
    parts.append(
        f'<text class="caption" x="4" y="{HEIGHT - 6}" {TEXT}'
        f"{fit if len(words) > CAPTION_CHARS else ''}>{escape(words)}</text></svg>"
    )
    return "".join(parts)


def _next_week(
    band_m: tuple[float, float] | None,
    units: str,
    left: float,
    slot: float,
    y: Callable[[float], float],
) -> list[str]:
    """Next week's slot: a separator, an empty column and the suggested range as a bracket."""
    width = slot * NEXT_SLOT
    middle = left + width / 2
    base = y(0)
    parts = [
        f'<line class="next" x1="{left - slot * NEXT_GAP / 2:.1f}" '
        f'x2="{left - slot * NEXT_GAP / 2:.1f}" y1="{TOP}" y2="{base:.1f}" '
        'stroke="#bbb" stroke-width="1" stroke-dasharray="2 3"/>',
        f'<text class="week" x="{middle:.1f}" y="{base + 17}" text-anchor="middle" {TEXT}>'
        "next</text>",
    ]
    if band_m is None:
        return parts
    low, high = y(to_units(band_m[0], units)), y(to_units(band_m[1], units))
    # Rounded as the note rounds it (coaching.units), so the two never disagree.
    words = f"Suggested for next week: {format_range(*band_m, units)}"
    amounts = [format_amount(metres, units) for metres in band_m]
    short = amounts[1] if amounts[0] == amounts[1] else "–".join(amounts)
    parts.append(
        f'<rect class="band" x="{left + slot * 0.1:.1f}" y="{high:.1f}" '
        f'width="{width - slot * 0.2:.1f}" height="{max(2.0, low - high):.1f}" '
        f'fill="{BAND}" fill-opacity="0.2" stroke="{BAND}" stroke-width="1.5" '
        f'stroke-dasharray="4 3"><title>{escape(words)}</title></rect>'
        f'<text x="{middle:.1f}" y="{high - 5:.1f}" text-anchor="middle" font-size="12" '
        f'fill="{BAND}">{escape(short)}</text>'
    )
    return parts
