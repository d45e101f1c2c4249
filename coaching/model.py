"""Value objects shared by every part of the coaching core."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Literal

Units = Literal["metric", "imperial"]
Equipment = Literal["gym", "band", "none"]
Level = Literal["auto", "standard", "advanced"]

UNITS: tuple[str, ...] = ("metric", "imperial")
EQUIPMENT: tuple[str, ...] = ("gym", "band", "none")
LEVELS: tuple[str, ...] = ("auto", "standard", "advanced")
CIRCUITS_PER_WEEK_RANGE = range(1, 5)


@dataclasses.dataclass(frozen=True, slots=True)
class Run:
    """One finished run, wherever it came from (Strava or a file).

    ``start`` is an aware datetime in UTC. ``id`` is opaque: a Strava activity id
    as a string, or a file's own key.
    """

    id: str
    start: datetime
    distance_m: float
    moving_time_s: int
    sport_type: str = "Run"

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("Run.start must be timezone-aware (UTC)")
        if self.distance_m < 0 or self.moving_time_s < 0:
            raise ValueError("distance and moving time cannot be negative")


@dataclasses.dataclass(frozen=True, slots=True)
class AthleteSettings:
    """What the athlete chose on the settings page (or the defaults)."""

    units: Units = "metric"
    equipment: Equipment = "gym"
    level: Level = "auto"
    circuits_per_week: int = 3
    # False leaves the weekly-volume lines out of the note (the circuit stays).
    include_volume: bool = True

    def __post_init__(self) -> None:
        if self.units not in UNITS:
            raise ValueError(f"units must be one of {', '.join(UNITS)}")
        if self.equipment not in EQUIPMENT:
            raise ValueError(f"equipment must be one of {', '.join(EQUIPMENT)}")
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}")
        if self.circuits_per_week not in CIRCUITS_PER_WEEK_RANGE:
            raise ValueError("circuits_per_week must be between 1 and 4")
