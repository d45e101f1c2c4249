"""The circuit: the article's three exercises, variations, and the auto progression."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from scenarios import run

from coaching import AthleteSettings
from coaching.circuit import ADVANCED
from coaching.circuit import LADDER
from coaching.circuit import STANDARD
from coaching.circuit import auto_stage
from coaching.circuit import difficulty
from coaching.circuit import prescribe
from coaching.circuit import stage_for


def sessions(days):
    return [dataclasses.replace(run(day, 8.0), circuit=True) for day in days]


def test_standard_gym_circuit_is_the_articles():
    circuit = prescribe(AthleteSettings(equipment="gym"), STANDARD)
    assert [e.exercise for e in circuit.exercises] == ["row", "cobra", "rear_delt_fly"]
    assert all((e.sets, e.reps) == (3, 10) for e in circuit.exercises)
    row, cobra, fly = circuit.exercises
    assert "one-arm dumbbell row" in row.variation.lower()
    assert "bench" in row.variation
    assert "hold 1 s" in row.cue
    assert "mid-back" in row.cue
    assert "lower slowly" in row.cue
    assert circuit.load == "a weight you can lift 10 times comfortably"
    assert "not your arms" in cobra.cue
    assert "hold 2 s" in cobra.cue
    assert "45°" in fly.variation
    assert "parallel" in fly.cue
    assert "lower slowly" in fly.cue


def test_advanced_versions_are_the_articles():
    row, cobra, fly = prescribe(AthleteSettings(level="advanced"), ADVANCED).exercises
    assert "plank row" in row.variation.lower()
    assert "fitness ball" in cobra.variation
    assert "seated" in fly.variation
    assert "bench" in fly.variation


def test_band_versions():
    circuit = prescribe(AthleteSettings(equipment="band"), STANDARD)
    assert circuit.load == "a heavy resistance band"
    row, _, fly = circuit.exercises
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


def test_stand_ins_pull_the_chest_to_the_hands_and_lift_face_down():
    row, _, fly = prescribe(AthleteSettings(equipment="none"), STANDARD).exercises
    assert "chest to your hands" in row.cue
    assert "T-raise" in fly.variation
    assert "face down" in fly.cue


def test_fixed_levels_ignore_sessions():
    assert (
        stage_for(AthleteSettings(level="standard"), sessions(range(0, 90, 2)), run(91, 5))
        == STANDARD
    )
    assert stage_for(AthleteSettings(level="advanced"), [], run(0, 5)) == ADVANCED


def test_everyone_starts_at_three_by_ten_whatever_their_mileage():
    assert auto_stage([], run(0, 30.0)) == STANDARD
    assert LADDER[0] == STANDARD
    assert (STANDARD.sets, STANDARD.reps, STANDARD.advanced) == (3, 10, False)


def test_six_sessions_move_up_a_rung_then_to_the_advanced_versions():
    assert auto_stage(sessions(range(0, 10, 2)), run(11, 5)).name == "standard"
    assert auto_stage(sessions(range(0, 12, 2)), run(13, 5)).name == "standard_plus"
    assert auto_stage(sessions(range(0, 24, 2)), run(25, 5)).name == "advanced"


def test_four_weeks_without_a_circuit_step_down_one_rung():
    done = sessions(range(0, 24, 2))  # advanced after twelve sessions
    assert auto_stage(done, run(22 + 27, 5)).name == "advanced"
    assert auto_stage(done, run(22 + 28, 5)).name == "standard_plus"


def test_a_holiday_of_three_weeks_keeps_the_level():
    done = sessions([*range(0, 24, 2), *range(45, 50, 2)])
    assert auto_stage(done, run(51, 5)).name == "advanced"
