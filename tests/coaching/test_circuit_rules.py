"""The circuit: the article's three exercises, variations, and the auto progression."""

from __future__ import annotations

import itertools

import pytest
from strategies import run_at
from strategies import weekly

from coaching import AthleteSettings
from coaching.circuit import LADDER
from coaching.circuit import auto_stage
from coaching.circuit import difficulty
from coaching.circuit import prescribe
from coaching.circuit import stage_for
from coaching.history import build_timeline


def stage_after(runs):
    return auto_stage(build_timeline(runs, runs[-1], None))


def test_standard_gym_circuit_is_the_articles():
    circuit = prescribe(AthleteSettings(equipment="gym"), LADDER[1])
    assert [e.exercise for e in circuit.exercises] == ["row", "cobra", "rear_delt_fly"]
    assert all((e.sets, e.reps) == (3, 10) for e in circuit.exercises)
    row, cobra, fly = circuit.exercises
    assert "one-arm dumbbell row" in row.variation.lower()
    assert "bench" in row.variation
    assert "hold 1 s" in row.cue
    assert "mid-back" in row.cue
    assert "not your arms" in cobra.cue
    assert "hold 2 s" in cobra.cue
    assert "45°" in fly.variation
    assert "parallel" in fly.cue
    assert "lower slowly" in fly.cue


def test_advanced_versions_are_the_articles():
    row, cobra, fly = prescribe(AthleteSettings(level="advanced"), LADDER[3]).exercises
    assert "plank row" in row.variation.lower()
    assert "fitness ball" in cobra.variation
    assert "seated" in fly.variation
    assert "bench" in fly.variation


def test_band_versions():
    row, _, fly = prescribe(AthleteSettings(equipment="band"), LADDER[1]).exercises
    assert row.variation.startswith("Seated band row")
    assert "band" in fly.variation.lower()


@pytest.mark.parametrize("stage", LADDER)
def test_no_equipment_names_its_substitutes(stage):
    exercises = prescribe(AthleteSettings(equipment="none"), stage).exercises
    assert not any("dumbbell" in e.variation or "band" in e.variation for e in exercises)
    substitutes = [e for e in exercises if e.exercise != "cobra" or stage.advanced]
    assert all("stand-in" in e.variation for e in substitutes)


def test_every_equipment_and_stage_has_three_exercises():
    for equipment, stage in itertools.product(("gym", "band", "none"), LADDER):
        circuit = prescribe(AthleteSettings(equipment=equipment), stage)
        assert len(circuit.exercises) == 3
        assert {(e.sets, e.reps) for e in circuit.exercises} == {(stage.sets, stage.reps)}


def test_ladder_only_gets_harder():
    ranks = [difficulty(stage) for stage in LADDER]
    assert ranks == sorted(ranks)
    assert len(set(ranks)) == len(ranks)


def test_fixed_levels_ignore_mileage():
    timeline = build_timeline([run_at(0, 3.0)], run_at(0, 3.0), None)
    assert stage_for(AthleteSettings(level="standard"), timeline).name == "standard"
    assert stage_for(AthleteSettings(level="advanced"), timeline).name == "advanced"


def test_auto_starts_newcomers_at_two_sets():
    assert stage_after([run_at(0, 5.0)]).name == "starter"


def test_auto_steps_up_with_regular_weeks_and_mileage():
    # 3 runs a week: two weeks at 12 km/week give the article's 3 x 10 ...
    assert stage_after(weekly({0: 4.0, 2: 4.0, 4: 4.0}, weeks=2)).name == "standard"
    # ... four weeks at 24 km/week add reps (ACSM's double progression) ...
    assert stage_after(weekly({0: 8.0, 2: 8.0, 4: 8.0}, weeks=4)).name == "standard_plus"
    # ... and six weeks at 36 km/week move on to the advanced versions.
    assert stage_after(weekly({0: 12.0, 2: 12.0, 4: 12.0}, weeks=6)).name == "advanced"


def test_auto_needs_regular_running_not_just_distance():
    # One 40 km run a week: plenty of distance, but not two runs a week.
    assert stage_after(weekly({5: 40.0}, weeks=8)).name == "starter"
