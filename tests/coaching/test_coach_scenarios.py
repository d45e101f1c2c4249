"""Issue 12's histories, read week by week as a coach would."""

from __future__ import annotations

from datetime import timedelta

from scenarios import by_week
from scenarios import follow
from scenarios import monday
from scenarios import notes
from scenarios import run
from scenarios import steady

from coaching import AthleteSettings
from coaching import suggest
from coaching.model import GoalRace
from coaching.note import MAX_CHARS

EVERY_DAY = {0: 0.15, 1: 0.2, 3: 0.2, 5: 0.3, 6: 0.15}


def plans(suggestions):
    return [items[-1].volume.plan for items in by_week(suggestions).values()]


def test_a_runner_who_follows_the_advice_for_16_weeks():
    runs = follow(steady(8, {1: 8, 3: 8, 5: 14}), 8, 16, EVERY_DAY)
    suggestions = notes(runs)[-16 * 5 :]
    assert not any({"week_jump", "long_run_jump"} & set(s.volume.flag_codes) for s in suggestions)
    weekly = plans(suggestions)
    for k in range(len(weekly) - 3):
        assert weekly[k : k + 4].count("cutback") <= 1
    targets = [items[0].volume.week_target_m[1] for items in by_week(suggestions).values()]
    assert targets[-1] > 2 * targets[0]
    assert all(len(s.text) <= MAX_CHARS for s in suggestions)


def test_circuits_progress_by_sessions_done():
    suggestions = notes(follow(steady(8, {1: 8, 3: 8, 5: 14}), 8, 6, EVERY_DAY))
    given = [s.circuit for s in suggestions if s.circuit]
    assert [c.sessions_done for c in given] == list(range(len(given)))
    assert [c.stage.name for c in given[:7]] == ["standard"] * 6 + ["standard_plus"]
    assert given[12].stage.name == "advanced"


def test_taper_and_race_day():
    goal = GoalRace(monday(14) + timedelta(days=6), 42_195)
    runs = follow(
        steady(8, {1: 10, 3: 12, 5: 25, 6: 8}),
        8,
        9,
        {1: 0.2, 2: 0.2, 3: 0.2, 5: 0.3, 6: 0.1},
        goal=goal,
    )
    runs.append(run(7 * 14 + 6, 3.0, hour=6))  # a shakeout before the race
    suggestions = notes(runs, AthleteSettings(goal_race=goal))
    weekly = plans(suggestions)
    assert weekly[12:15] == ["taper", "taper", "race_week"]
    assert weekly[15] == "recover"
    race_days = [
        s
        for s in suggestions
        if s.run.day >= goal.day - timedelta(days=1) and s.run.day <= goal.day + timedelta(days=2)
    ]
    assert race_days
    assert all(s.circuit is None for s in race_days)
    race = next(s for s in suggestions if s.run.is_race)
    assert race.text.startswith("Race day: no back circuit today.")
    assert "Next week:" in race.text
    assert "easy week after your race" in race.text


def test_warm_up_before_a_race_in_the_history_gets_no_circuit():
    race = run(7 * 4 + 5, 10.0, hour=9, kind="race")
    runs = [*steady(4, {1: 8, 4: 8}), run(7 * 4 + 5, 2.5, hour=8), race]
    warm_up = suggest(AthleteSettings(), runs, runs[-2])  # the race is already stored
    assert warm_up.circuit is None
    assert warm_up.no_circuit == "warm_up"
    assert warm_up.text.startswith("Warm-up before your race")


def test_three_week_holiday_rebuilds_in_four_weeks():
    runs = follow(steady(8, {0: 10, 2: 10, 4: 10, 6: 20}), 11, 6, {0: 0.2, 2: 0.2, 4: 0.2, 6: 0.4})
    suggestions = notes(runs)
    weekly = plans(suggestions)
    assert weekly[8:11] == ["rebuild"] * 3
    back = [s for s in suggestions if s.run.day >= monday(11)]
    assert "after a short break" in back[0].text
    assert max(items[-1].volume.week_done_m for items in by_week(back).values()) >= 45_000


def test_six_weeks_injured_is_a_cautious_restart():
    runs = follow(steady(8, {1: 8, 3: 10, 6: 17}), 14, 9, {1: 0.25, 3: 0.3, 6: 0.45})
    suggestions = [s for s in notes(runs) if s.run.day >= monday(14)]
    assert "cautious restart" in suggestions[0].text
    done = [items[-1].volume.week_done_m for items in by_week(suggestions).values()]
    assert done[-1] >= 30_000


def test_once_a_week_runner_sees_no_ratio_and_moves_up_the_circuit():
    suggestions = notes(steady(12, {6: 15}))
    assert all("ratio" not in s.text for s in suggestions)
    assert all(s.volume.flags == () for s in suggestions)
    assert suggestions[-1].circuit.stage.name == "standard_plus"


def test_trail_runner_reads_time_on_feet_and_a_time_jump_means_hold():
    runs = steady(6, {2: 8, 5: 15}, sport="TrailRun", pace_s=540)
    runs += [run(44, 9, sport="TrailRun", pace_s=700), run(47, 15, sport="TrailRun", pace_s=800)]
    runs.append(run(51, 8, sport="TrailRun", pace_s=540))
    suggestions = notes(runs, AthleteSettings(units="imperial"))
    assert "on your feet" in suggestions[-2].text
    assert suggestions[-1].volume.plan == "hold"
    assert suggestions[-1].volume.week_target_s is not None


def test_walk_run_weeks_are_in_minutes():
    suggestions = notes(steady(6, {0: 4, 3: 4, 5: 6}, pace_s=570))
    assert suggestions[-1].volume.time_based
    assert "on your feet" in suggestions[-1].text


def test_couch_to_5k_never_reads_as_a_cutback():
    runs = [run(7 * w + d, (20 + w) * 60 / 500, pace_s=500) for w in range(9) for d in (0, 2, 5)]
    suggestions = notes(runs)
    assert suggestions[0].volume.week_target_m is None
    assert "first full week" in suggestions[0].text
    assert "cutback" not in plans(suggestions)
