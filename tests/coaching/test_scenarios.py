"""Realistic histories: real Strava activity lists (fixtures/NOTICE.md) and built weeks."""

from __future__ import annotations

import itertools
from datetime import date
from datetime import timedelta

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
    assert "Heads-up: 15.7% longer than your longest run in 30 days (30.6 km)" in long_run.text


def test_summer_2025_imported_history_starts_every_runner_at_three_by_ten(summer_2025):
    # Changed by issue 12: an imported history holds no circuits, so no advanced start.
    last = suggest(AthleteSettings(level="auto"), summer_2025, summer_2025[-1])
    assert last.circuit is not None
    assert last.circuit.stage.name == "standard"
    assert last.volume.week_target_m is not None


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
    # Only days of history before it: no 30-day comparison, and no target yet.
    assert marathon.volume.flags == ()
    assert "return_after_break" not in suggestions[-1].volume.flag_codes
