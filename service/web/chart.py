"""The weekly-mileage chart on the settings page: an SVG string built here, no JavaScript.

Bars are the distance run in each of the last twelve weeks (Monday to Sunday,
on the athlete's own calendar: each run counts on its local day). The range
postrun recommends for next week is a shaded band across the chart. Every piece
of text is escaped; the numbers are formatted by us.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from collections.abc import Sequence
from datetime import date
from datetime import timedelta
from html import escape

from coaching.localtime import MONTHS
from coaching.localtime import week_start
from coaching.units import to_units
from coaching.units import unit_label

WEEKS = 12
WIDTH, HEIGHT = 480, 250
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 14, 44


@dataclasses.dataclass(frozen=True, slots=True)
class Week:
    monday: date
    distance_m: float


def weekly_totals(
    runs: Iterable[tuple[date, float]], today: date, weeks: int = WEEKS
) -> list[Week]:
    """Distance per week for the ``weeks`` weeks ending with the one holding ``today``.

    ``runs`` gives each run's local day and distance; ``today`` is the athlete's today.
    """
    first = week_start(today) - timedelta(weeks=weeks - 1)
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


def weekly_chart(weeks: Sequence[Week], band_m: tuple[float, float] | None, units: str) -> str:
    """The chart as a standalone ``<svg>`` element (``units``: metric or imperial)."""
    label = unit_label(units)
    values = [to_units(w.distance_m, units) for w in weeks]
    band = (to_units(band_m[0], units), to_units(band_m[1], units)) if band_m else None
    top = _nice_ceiling(max([*values, band[1] if band else 0.0, 1.0]) * 1.05)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / top)

    summary = f"Distance per week for the last {len(weeks)} weeks, in {label}"
    if band:
        summary += f"; recommended next week {_num(band[0])}–{_num(band[1])} {label}"
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
            f'<text x="{LEFT - 6}" y="{y(value) + 5:.1f}" text-anchor="end" font-size="13" '
            f'fill="#555">{escape(_num(value))}</text>'
        )
    if band:
        parts.append(
            f'<rect class="band" x="{LEFT}" y="{y(band[1]):.1f}" width="{plot_w}" '
            f'height="{max(1.0, y(band[0]) - y(band[1])):.1f}" fill="#fc4c02" '
            'fill-opacity="0.15" stroke="#fc4c02" stroke-opacity="0.5" stroke-dasharray="4 3">'
            f"<title>{escape(f'Recommended next week: {_num(band[0])}–{_num(band[1])} {label}')}"
            "</title></rect>"
        )
    slot = plot_w / max(1, len(weeks))
    for index, (week, value) in enumerate(zip(weeks, values, strict=True)):
        x = LEFT + index * slot + slot * 0.15
        tip = f"Week of {week.monday.day} {MONTHS[week.monday.month - 1]}: {_num(value)} {label}"
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y(value):.1f}" width="{slot * 0.7:.1f}" '
            f'height="{y(0) - y(value):.1f}" fill="#3b6ea5"><title>{escape(tip)}</title></rect>'
        )
        if (len(weeks) - 1 - index) % 2 == 0:  # every other week, ending with this one
            parts.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - BOTTOM + 18}" '
                'text-anchor="middle" font-size="13" fill="#555">'
                f"{escape(f'{week.monday.day} {MONTHS[week.monday.month - 1]}')}</text>"
            )
    parts.append(
        f'<text x="{LEFT}" y="{HEIGHT - 6}" font-size="13" fill="#555">'
        f"{escape(f'{label} per week (weeks start Monday, UTC)')}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)
