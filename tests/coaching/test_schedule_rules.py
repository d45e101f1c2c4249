"""How often the circuit comes: at most circuits_per_week in any 7 days, 48 h apart."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from strategies import run_at

from coaching.schedule import circuit_runs
from coaching.schedule import next_due
from coaching.schedule import plan_for
from coaching.schedule import replay_start


def assert_spacing(given, per_week):
    for a, b in itertools.pairwise(given):
        assert b.start - a.start >= timedelta(hours=48)
    for run in given:
        window = [g for g in given if run.start - timedelta(days=7) < g.start <= run.start]
        assert len(window) <= per_week


@pytest.mark.parametrize("per_week", [1, 2, 3, 4])
def test_daily_runner_gets_at_most_per_week_48_hours_apart(per_week):
    runs = [run_at(day, 8.0) for day in range(56)]
    given = circuit_runs(runs, per_week)
    assert_spacing(given, per_week)
    assert len(given) >= 8 * min(per_week, 3)


def test_runs_36_hours_apart_share_one_circuit():
    first, second = run_at(0, 8.0, hour=7), run_at(1, 8.0, hour=19)
    assert circuit_runs([first, second], 3) == [first]
    assert next_due([first], 3) == first.start + timedelta(hours=48)


def test_next_due_waits_for_the_seven_day_window():
    runs = [run_at(day, 8.0) for day in (0, 2, 4)]
    given = circuit_runs(runs, 3)
    assert given == runs
    assert next_due(given, 3) == runs[0].start + timedelta(days=7)


def test_a_weekly_routine_gets_its_circuits_every_week():
    runs = [run_at(7 * week + day, 8.0) for week in range(8) for day in (0, 2, 4, 6)]
    given = circuit_runs(runs, 3)
    assert [r.start.weekday() for r in given] == [0, 2, 4] * 8


def test_replay_starts_on_a_fixed_boundary_before_the_run():
    run = run_at(100, 8.0)
    start = replay_start(run)
    assert timedelta(days=28) < run.start - start <= timedelta(days=56)
    assert replay_start(run_at(101, 8.0)) in {start, start + timedelta(days=28)}


def test_a_sliding_history_window_gives_the_same_answers_as_the_full_history():
    # The pipeline passes the last 120 days only; the answer must not drift with it.
    runs = [run_at(day, 8.0, hour=6 + day % 5) for day in range(300) if day % 9 != 4]
    for index in range(150, len(runs)):
        run = runs[index]
        window = [r for r in runs[: index + 1] if run.start - r.start <= timedelta(days=120)]
        assert plan_for(window, run, 3) == plan_for(runs[: index + 1], run, 3)
