"""Builders and Hypothesis strategies shared by the coaching tests."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

from hypothesis import strategies as st

from coaching import AthleteSettings
from coaching import Run

START = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)  # a Monday


def run_at(day: int, km: float, *, hour: int = 7, run_id: str | None = None) -> Run:
    """A run ``day`` days after START (a Monday), ``km`` long, at about 6 min/km."""
    start = START + timedelta(days=day, hours=hour - 7)
    return Run(
        id=run_id or f"r{day}-{hour}",
        start=start,
        distance_m=km * 1000,
        moving_time_s=round(km * 360),
        sport_type="Run",
    )


def weekly(pattern: dict[int, float], weeks: int, scale: list[float] | None = None) -> list[Run]:
    """The same week repeated: ``pattern`` maps weekday (0 = Mon) to km, times ``scale[w]``."""
    runs = []
    for week in range(weeks):
        factor = scale[week] if scale else 1.0
        for weekday, km in sorted(pattern.items()):
            runs.append(run_at(7 * week + weekday, km * factor))
    return runs


def day_of(run: Run) -> date:
    return run.day


settings = st.builds(
    AthleteSettings,
    units=st.sampled_from(["metric", "imperial"]),
    equipment=st.sampled_from(["gym", "band", "none"]),
    level=st.sampled_from(["auto", "standard", "advanced"]),
    circuits_per_week=st.integers(1, 4),
)

# A weekly routine: 2 to 6 run days with 2-30 km each.
patterns = st.dictionaries(
    keys=st.integers(0, 6),
    values=st.floats(2.0, 30.0, allow_nan=False).map(lambda km: round(km, 1)),
    min_size=2,
    max_size=6,
)


@st.composite
def rising_scales(draw: st.DrawFn, weeks: int) -> list[float]:
    """Week-by-week multipliers that never fall and rise by at most 10 % a week."""
    steps = draw(st.lists(st.sampled_from([0.0, 0.03, 0.05, 0.1]), min_size=weeks, max_size=weeks))
    scale, factor = [], 1.0
    for step in steps:
        factor *= 1 + step
        scale.append(factor)
    return scale


@st.composite
def histories(draw: st.DrawFn, max_runs: int = 60, with_types: bool = False) -> list[Run]:
    """Arbitrary run histories: gaps from hours to weeks, distances from 0 to 100 km.

    ``with_types`` adds Strava workout types (races, long runs, workouts) and stored
    circuit flags at random.
    """
    count = draw(st.integers(1, max_runs))
    gaps = draw(st.lists(st.floats(0.2, 30.0), min_size=count, max_size=count))
    kms = draw(st.lists(st.floats(0.0, 100.0), min_size=count, max_size=count))
    kinds = st.sampled_from([None, None, "race", "long", "workout"]) if with_types else st.none()
    types = draw(st.lists(kinds, min_size=count, max_size=count))
    flags = draw(
        st.lists(st.booleans() if with_types else st.just(False), min_size=count, max_size=count)
    )
    runs, offset = [], 0.0
    for index, (gap, km, kind, flag) in enumerate(zip(gaps, kms, types, flags, strict=True)):
        offset += gap
        runs.append(
            Run(
                id=str(index),
                start=START + timedelta(days=offset),
                distance_m=km * 1000,
                moving_time_s=round(km * 360),
                workout_type=kind,
                circuit=flag,
            )
        )
    return runs
