"""The goal race on the settings page: its form fields checked, and shown back.

With a goal race the weeks before it taper and the days around it get no circuit
(docs/coaching.md#races-and-tapers). The race is optional: "No goal race" clears it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from datetime import timedelta
from typing import Any

from coaching.units import from_units
from coaching.units import to_units
from coaching.units import unit_label

NONE, RACE, OTHER = "none", "race", "other"
UNITS = ("metric", "imperial")
# The select's distances: (value, label, metres). "Other" takes a number in the
# athlete's units.
# Races go by these names whatever units the athlete reads distances in.
DISTANCES: tuple[tuple[str, str, float], ...] = (
    ("5000", "5K", 5000.0),
    ("10000", "10K", 10000.0),
    ("21097.5", "Half marathon", 21097.5),
    ("42195", "Marathon", 42195.0),
)
# From a mile-ish track race to a long ultra; beyond that a figure is a typing slip.
MIN_M, MAX_M = 1000.0, 250_000.0
# A goal race is within the coming year: further out, no taper is near.
MAX_DAYS_AHEAD = 365


def form_fields(day: date | None, distance_m: float | None, units: str) -> dict[str, str]:
    """The form's fields for a stored (or just parsed) goal race: what the page shows."""
    if day is None or distance_m is None:
        return {
            "goal_race": NONE,
            "goal_race_date": "",
            "goal_race_distance": "",
            "goal_race_other": "",
        }
    for value, _label, metres in DISTANCES:
        if math.isclose(distance_m, metres):
            return {
                "goal_race": RACE,
                "goal_race_date": day.isoformat(),
                "goal_race_distance": value,
                "goal_race_other": "",
            }
    return {
        "goal_race": RACE,
        "goal_race_date": day.isoformat(),
        "goal_race_distance": OTHER,
        "goal_race_other": _figure(distance_m, units),
    }


def _figure(metres: float, units: str) -> str:
    """A distance in the athlete's units as the "other" field shows it: "50", "31.07"."""
    return f"{to_units(metres, units):.2f}".rstrip("0").rstrip(".")


def distance_bounds(units: str) -> tuple[str, str]:
    """MIN_M and MAX_M in the athlete's units, rounded inwards to a tenth: "1", "250"."""
    low = math.ceil(round(to_units(MIN_M, units) * 10, 6)) / 10
    high = math.floor(round(to_units(MAX_M, units) * 10, 6)) / 10
    return f"{low:.1f}".removesuffix(".0"), f"{high:.1f}".removesuffix(".0")


def latest_day(today: date) -> date:
    return today + timedelta(days=MAX_DAYS_AHEAD)


def parse(
    form: Mapping[str, Any],
    today: date,
    units: str,
    saved: tuple[date | None, float | None] = (None, None),
) -> tuple[date | None, float | None, list[str]]:
    """(day, metres, errors) from the form; (None, None, []) when there is no goal race.

    ``units`` is the athlete's; the form may name the units its "other" field was
    shown in (``goal_race_units``), and then those count, so the figure is read in
    the unit printed beside it. ``today`` is the athlete's own day. A new date must
    be today or within a year of it; the date already ``saved`` is accepted as it is,
    so a race that has passed never stops the athlete saving their other settings
    (after a long race it still decides the recovery week:
    docs/coaching.md#races-and-tapers). An "other" distance shown back unchanged
    keeps its saved metres, not its rounded figure.
    """
    shown_in = form.get("goal_race_units")
    units = shown_in if shown_in in UNITS else units
    choice = form.get("goal_race", NONE)
    if choice == NONE:
        return None, None, []
    if choice != RACE:
        return None, None, ["goal race: choose one of the options"]
    errors = []
    day = _day(str(form.get("goal_race_date", "")).strip())
    if day is None:
        errors.append("goal race: give its date (YYYY-MM-DD)")
    elif day != saved[0] and not today <= day <= latest_day(today):
        errors.append(
            f"goal race: the date must be between {today.isoformat()} "
            f"and {latest_day(today).isoformat()}"
        )
    distance = _distance(form, units, saved[1])
    if distance is None:
        low, high = distance_bounds(units)
        errors.append(
            f"goal race: the distance must be between {low} and {high} {unit_label(units)}"
        )
    if errors:
        return None, None, errors
    return day, distance, []


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _distance(form: Mapping[str, Any], units: str, saved: float | None) -> float | None:
    """The race's metres from the select, or from "other" in the athlete's units."""
    choice = form.get("goal_race_distance", "")
    for value, _label, metres in DISTANCES:
        if choice == value:
            return metres
    if choice != OTHER:
        return None
    raw = str(form.get("goal_race_other", "")).strip().replace(",", ".")
    if saved is not None and raw == _figure(saved, units):
        return saved
    try:
        number = float(raw)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    metres = from_units(number, units)
    return metres if MIN_M <= metres <= MAX_M else None
