"""Distances in the athlete's units."""

from __future__ import annotations

METRES_PER_MILE = 1609.344
METRES_PER_KM = 1000.0


def unit_label(units: str) -> str:
    """The short label for the athlete's distance unit."""
    return "mi" if units == "imperial" else "km"


def to_units(metres: float, units: str) -> float:
    """Metres to kilometres (metric) or miles (imperial)."""
    return metres / (METRES_PER_MILE if units == "imperial" else METRES_PER_KM)


def from_units(value: float, units: str) -> float:
    """Kilometres or miles back to metres; the inverse of ``to_units``."""
    return value * (METRES_PER_MILE if units == "imperial" else METRES_PER_KM)


def format_distance(metres: float, units: str) -> str:
    """Format a distance as '12.3 km' or '7.6 mi'."""
    return f"{to_units(metres, units):.1f} {unit_label(units)}"


def format_amount(metres: float, units: str) -> str:
    """A weekly amount without its unit: whole numbers from 10 up, else one decimal.

    A weekly target of '43 km' reads better than '43.2 km', while '4.5 mi'
    keeps the precision a small week needs.
    """
    value = to_units(metres, units)
    return f"{value:.0f}" if round(value, 1) >= 10 else f"{value:.1f}"


def format_range(low_m: float, high_m: float, units: str) -> str:
    """A weekly range such as '40–44 km', or 'about 5.0 km' when both ends round alike."""
    low, high = format_amount(low_m, units), format_amount(high_m, units)
    if low == high:
        return f"about {high} {unit_label(units)}"
    return f"{low}–{high} {unit_label(units)}"
