"""Value objects shared by every part of the coaching core."""

from __future__ import annotations

import dataclasses
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Literal

from coaching import localtime

Units = Literal["metric", "imperial"]
Equipment = Literal["gym", "band", "none"]
Level = Literal["auto", "standard", "advanced"]

UNITS: tuple[str, ...] = ("metric", "imperial")
EQUIPMENT: tuple[str, ...] = ("gym", "band", "none")
LEVELS: tuple[str, ...] = ("auto", "standard", "advanced")
CIRCUITS_PER_WEEK_RANGE = range(1, 5)
# Strava's workout_type for runs, as words: 1 race, 2 long run, 3 workout (0 or
# missing is an ordinary run). See docs/coaching.md#races-and-tapers.
WORKOUT_TYPES: tuple[str, ...] = ("race", "long", "workout")


@dataclasses.dataclass(frozen=True, slots=True)
class Run:
    """One finished run, wherever it came from (Strava or a file).

    ``start`` is an aware datetime in UTC. ``id`` is opaque: a Strava activity id
    as a string, or a file's own key. ``utc_offset_s`` is the offset of the
    athlete's clock when the run started (Strava's ``utc_offset``): it decides
    which local day, and so which week, the run belongs to.
    """

    id: str
    start: datetime
    distance_m: float
    moving_time_s: int
    sport_type: str = "Run"
    utc_offset_s: int = 0
    # "race", "long", "workout" or None for an ordinary run.
    workout_type: str | None = None
    # True when postrun prescribed the back circuit with this run (the pipeline stores it).
    circuit: bool = False

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("Run.start must be timezone-aware (UTC)")
        if self.distance_m < 0 or self.moving_time_s < 0:
            raise ValueError("distance and moving time cannot be negative")
        if self.workout_type is not None and self.workout_type not in WORKOUT_TYPES:
            raise ValueError(f"workout_type must be one of {', '.join(WORKOUT_TYPES)} or None")
        localtime.check_offset(self.utc_offset_s)

    @property
    def is_race(self) -> bool:
        return self.workout_type == "race"

    @property
    def local_start(self) -> datetime:
        """The start as the athlete's clock showed it (naive wall-clock time)."""
        return (self.start + timedelta(seconds=self.utc_offset_s)).replace(tzinfo=None)

    @property
    def day(self) -> date:
        """The run's day in the athlete's own calendar."""
        return localtime.local_day(self.start, self.utc_offset_s)


@dataclasses.dataclass(frozen=True, slots=True)
class GoalRace:
    """The race the athlete is training for: its day on their calendar and its distance."""

    day: date
    distance_m: float

    def __post_init__(self) -> None:
        if not self.distance_m > 0:
            raise ValueError("a goal race needs a distance above zero")


@dataclasses.dataclass(frozen=True, slots=True)
class AthleteSettings:
    """What the athlete chose on the settings page (or the defaults)."""

    units: Units = "metric"
    equipment: Equipment = "gym"
    level: Level = "auto"
    circuits_per_week: int = 3
    # False leaves the weekly-volume lines out of the note (the circuit stays).
    include_volume: bool = True
    # IANA name: the clock on which the note says when the next circuit is due.
    timezone: str = localtime.UTC_NAME
    # Optional: the taper and race-day rules of docs/coaching.md#races-and-tapers.
    goal_race: GoalRace | None = None

    def __post_init__(self) -> None:
        if self.units not in UNITS:
            raise ValueError(f"units must be one of {', '.join(UNITS)}")
        if self.equipment not in EQUIPMENT:
            raise ValueError(f"equipment must be one of {', '.join(EQUIPMENT)}")
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}")
        if self.circuits_per_week not in CIRCUITS_PER_WEEK_RANGE:
            raise ValueError("circuits_per_week must be between 1 and 4")
        if not localtime.is_zone(self.timezone):
            raise ValueError(f"timezone: unknown time zone {self.timezone!r}")
