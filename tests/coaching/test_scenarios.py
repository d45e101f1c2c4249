"""Realistic histories: real Strava activity lists (fixtures/NOTICE.md) and built weeks."""

from __future__ import annotations

import itertools
from datetime import date
from datetime import timedelta

from strategies import run_at
from strategies import weekly

from coaching import AthleteSettings
from coaching import suggest
from coaching.note import MAX_CHARS


def notes(runs, athlete=None):
    athlete = athlete or AthleteSettings()
    return [suggest(athlete, runs, run) for run in runs]


def test_summer_2025_every_note_fits_and_circuits_are_spaced(summer_2025):
    suggestions = notes(summer_2025)
    assert all(len(s.text) <= MAX_CHARS and "\n\n" not in s.text for s in suggestions)
    circuits = [s.run for s in suggestions if s.circuit]
    assert len(circuits) >= 30
    for a, b in itertools.pairwise(circuits):
        assert b.start - a.start >= timedelta(hours=48)
    for run in circuits:
        window = [c for c in circuits if run.start - timedelta(days=7) < c.start <= run.start]
        assert len(window) <= 3


def test_summer_2025_long_run_jump_on_the_35_km_run(summer_2025):
    by_day = {s.run.start.date(): s for s in notes(summer_2025)}
    long_run = by_day[date(2025, 10, 4)]
    assert long_run.run.distance_m > 35_000
    assert long_run.volume.flag_codes == ("long_run_jump",)
    assert round(long_run.volume.longest_30d_m) == 30_637
    assert "Heads-up: 16% longer than your longest run in 30 days (30.6 km)" in long_run.text
    # Weekday runs of the same weeks are steady: no flag.
    assert by_day[date(2025, 10, 14)].volume.flags == ()


def test_summer_2025_late_notes_give_an_advanced_circuit_and_a_range(summer_2025):
    last = suggest(AthleteSettings(level="auto"), summer_2025, summer_2025[-1])
    assert last.circuit is not None
    assert last.circuit.stage.name == "advanced"
    assert last.volume.plan == "build"
    low, high = last.volume.next_week_m
    base = max(last.volume.last_7_days_m, last.volume.weekly_average_4w_m)
    assert (low, high) == (base, base * 1.1)


def test_summer_2025_in_miles(summer_2025):
    text = suggest(AthleteSettings(units="imperial"), summer_2025, summer_2025[-1]).text
    assert " mi" in text
    assert " km" not in text


def test_reprocessing_an_old_run_ignores_later_runs(summer_2025):
    old = summer_2025[20]
    assert suggest(AthleteSettings(), summer_2025, old) == suggest(
        AthleteSettings(), summer_2025[:21], old
    )


def test_november_2018_marathon_month(november_2018):
    suggestions = notes(november_2018)
    marathon = next(s for s in suggestions if s.run.distance_m > 42_000)
    # Only days of history before it: no 30-day comparison, a newcomer's range.
    assert marathon.volume.flags == ()
    assert marathon.volume.plan == "newcomer"
    last = suggestions[-1]
    # Ten days without a run before 28 Nov is not yet a break.
    assert "return_after_break" not in last.volume.flag_codes


def test_build_then_break_then_return():
    runs = weekly({1: 8.0, 3: 8.0, 5: 14.0}, weeks=8)  # 30 km a week
    runs += [run_at(76, 6.0), run_at(78, 6.0)]  # 20 days off, then back
    back = suggest(AthleteSettings(), runs, runs[-1])
    assert back.volume.plan == "restart"
    assert back.volume.flag_codes == ("return_after_break",)
    assert back.volume.next_week_m == (12_000, 18_000)
    assert "days off" in back.text


def test_ten_percent_builder_gets_a_cutback_then_builds_again():
    scale = [1.0, 1.0, 1.0, 1.1, 1.21, 1.33, 1.0, 1.0]
    runs = weekly({1: 6.0, 3: 6.0, 6: 10.0}, weeks=8, scale=scale)
    plans = [suggest(AthleteSettings(), runs, run).volume.plan for run in runs]
    assert "cutback" in plans[15:18]
    assert plans[-1] == "build"
