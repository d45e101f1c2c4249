"""Hypothesis properties of the whole engine."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from strategies import histories
from strategies import patterns
from strategies import rising_scales
from strategies import settings
from strategies import weekly

from coaching import AthleteSettings
from coaching import suggest
from coaching.circuit import LADDER
from coaching.circuit import auto_stage
from coaching.circuit import difficulty
from coaching.history import build_timeline
from coaching.localtime import week_start
from coaching.note import MAX_CHARS
from coaching.units import from_units
from coaching.units import to_units
from coaching.volume import assess

FAST = hsettings(max_examples=100, deadline=None)


@FAST
@given(settings, histories(), st.data())
def test_text_is_short_one_paragraph_and_deterministic(athlete, runs, data):
    run = data.draw(st.sampled_from(runs))
    first = suggest(athlete, runs, run)
    assert len(first.text) <= MAX_CHARS
    assert "\n\n" not in first.text
    assert first.text == first.text.strip()
    # Same answer for the same input, whatever the order of the history.
    assert suggest(athlete, list(reversed(runs)), run) == first


@FAST
@given(patterns, st.integers(5, 10), st.floats(1.01, 3.0))
def test_range_rises_with_steady_mileage(pattern, weeks, factor):
    base = weekly(pattern, weeks)
    more = weekly({day: km * factor for day, km in pattern.items()}, weeks)
    low = assess(build_timeline(base, base[-1], None)).next_week_m
    high = assess(build_timeline(more, more[-1], None)).next_week_m
    assert high[0] >= low[0]
    assert high[1] >= low[1]


@FAST
@given(patterns, st.integers(2, 10), st.data())
def test_range_never_drops_while_mileage_rises(pattern, weeks, data):
    scale = data.draw(rising_scales(weeks))
    runs = weekly(pattern, weeks, scale)
    previous = None
    for run in runs:
        volume = assess(build_timeline(runs, run, None))
        # next_week_m is this week's target, or next week's after a Sunday run.
        plan = volume.next_week.plan if volume.next_week else volume.plan
        if plan == "cutback":
            # The one planned exception: an easier week after three build weeks.
            assert volume.next_week_m[1] < max(volume.last_7_days_m, volume.weekly_average_4w_m)
            previous = None
            continue
        assert plan == "build"
        if previous is not None:
            assert volume.next_week_m[1] >= previous - 1e-6
        previous = volume.next_week_m[1]


@FAST
@given(patterns, st.integers(1, 12))
def test_constant_training_raises_no_flag(pattern, weeks):
    runs = weekly(pattern, weeks)
    for run in runs:
        assert assess(build_timeline(runs, run, None)).flags == ()


@FAST
@given(st.lists(st.floats(0.5, 20.0), min_size=1, max_size=60))
def test_auto_circuit_never_regresses_while_circuits_keep_coming(gaps):
    """Sessions less than four weeks apart only ever move the athlete up the ladder."""
    runs, day = [], 0.0
    for gap in gaps:
        day += gap
        runs.append(
            dataclasses.replace(
                weekly({0: 5.0}, 1)[0],
                id=str(day),
                circuit=True,
                start=weekly({0: 5.0}, 1)[0].start + timedelta(days=day),
            )
        )
    ranks = [difficulty(auto_stage(runs[:k], runs[k])) for k in range(len(runs))]
    assert ranks == sorted(ranks)
    assert ranks[0] == difficulty(LADDER[0])


@FAST
@given(settings, histories(max_runs=40, with_types=True), st.data())
def test_within_a_local_week_the_target_and_plan_do_not_change(athlete, runs, data):
    weeks = {}
    for run in runs:
        volume = suggest(athlete, runs, run).volume
        weeks.setdefault(week_start(run.day), set()).add((volume.week_target_m, volume.plan))
    assert all(len(answers) == 1 for answers in weeks.values())


@FAST
@given(settings, histories(max_runs=40, with_types=True))
def test_races_never_get_circuits(athlete, runs):
    for run in runs:
        if run.is_race:
            assert suggest(athlete, runs, run).circuit is None


@given(
    st.floats(0, 1e7, allow_nan=False, allow_infinity=False),
    st.sampled_from(["metric", "imperial"]),
)
def test_units_round_trip(metres, units):
    assert from_units(to_units(metres, units), units) == pytest.approx(metres, rel=1e-12, abs=1e-9)


@FAST
@given(histories(max_runs=25), st.sampled_from(["metric", "imperial"]))
def test_note_is_in_the_athletes_units(runs, units):
    text = suggest(AthleteSettings(units=units), runs, runs[-1]).text
    other = r"\d (mi|mi/wk)\b" if units == "metric" else r"\d (km|km/wk)\b"
    assert not re.search(other, text)
