"""One test (or a few) per volume rule: weekly targets, steps back, races, the single run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from scenarios import follow
from scenarios import monday
from scenarios import run
from scenarios import steady
from strategies import day_of
from strategies import run_at
from strategies import weekly

from coaching.history import build_timeline
from coaching.model import GoalRace
from coaching.volume import assess
from coaching.volume import ewma_acwr
from coaching.weeks import plan_week


def assess_last(runs, today=None, goal=None):
    return assess(build_timeline(runs, runs[-1], today), goal)


def test_steady_weeks_build_at_most_ten_percent_over_the_recent_normal():
    runs = steady(8, {1: 8.0, 3: 8.0, 5: 14.0})
    week = plan_week(runs, monday(8))
    assert week.plan == "build"
    assert week.target_m == pytest.approx((30_000, 33_000))


def test_the_target_uses_completed_weeks_only_and_is_the_same_all_week():
    runs = [*steady(8, {1: 8.0, 3: 8.0, 5: 14.0}), run(57, 20.0), run(59, 25.0)]
    targets = [assess(build_timeline(runs, r, None)).week_target_m for r in runs[-2:]]
    assert targets == [pytest.approx((30_000, 33_000))] * 2
    assert assess_last(runs).week_done_m == pytest.approx(45_000)


def test_the_recent_normal_is_the_best_of_eight_weeks_so_returning_to_it_is_no_jump():
    # 40 km weeks, two ill weeks at 12 km, then back to 40: no flag, target from 40.
    runs = steady(6, {1: 10.0, 3: 10.0, 6: 20.0}) + steady(2, {1: 6.0, 3: 6.0}, first_week=6)
    runs += steady(1, {1: 10.0, 3: 10.0, 6: 20.0}, first_week=8)
    volume = assess_last(runs)
    assert not {"week_jump", "long_run_jump"} & set(volume.flag_codes)
    assert volume.normal_m == pytest.approx(40_000)


def test_a_week_over_its_target_and_30_percent_over_the_normal_is_flagged():
    runs = [*steady(6, {1: 10.0, 4: 10.0}), run(43, 9.0), run(44, 9.0), run(45, 8.5)]
    volume = assess_last(runs)
    assert volume.week_done_m == pytest.approx(26_500)
    assert volume.flag_codes == ("week_jump",)
    assert volume.flags[0].value == pytest.approx(0.325)


def test_a_jump_week_is_followed_by_a_hold_week():
    runs = steady(6, {1: 10.0, 4: 10.0}) + steady(1, {1: 14.0, 4: 14.0}, first_week=6)
    week = plan_week(runs, monday(7))
    assert week.plan == "hold"
    # 28 km after 20 km weeks counts as 26 km, 30 % over them (docs/coaching.md#recent-normal).
    assert week.target_m == pytest.approx((0.9 * 26_000, 26_000))


def test_cutback_after_three_new_highs_that_climbed_twenty_percent():
    runs = steady(4, {1: 10.0, 5: 20.0})
    runs = follow(runs, 4, 3, {1: 0.4, 5: 0.6})
    week = plan_week(runs, monday(7))
    assert week.plan == "cutback"
    assert week.target_m == pytest.approx((0.7 * 39_930, 0.8 * 39_930), rel=1e-3)


def test_slow_steady_growth_never_reads_as_a_cutback():
    # Couch to 5k: three sessions a week, one minute longer each week, slower than 7:30/km.
    runs = []
    for w in range(10):
        runs += [run(7 * w + d, (20 + w) * 60 / 500, pace_s=500) for d in (0, 2, 5)]
    plans = [plan_week(runs, monday(w)) for w in range(1, 11)]
    assert all(p.plan == "build" for p in plans)
    assert all(p.time_based for p in plans)


def test_a_first_day_is_not_a_week():
    runs = [run(2, 2.5, pace_s=500)]
    volume = assess_last(runs)
    assert volume.week_target_m is None
    assert plan_week(runs, monday(1)).target_m is None  # the first week began on a Wednesday
    assert plan_week([run(0, 2.5)], monday(1)).target_m is not None


def test_a_short_break_rebuilds_in_steps_of_half_three_quarters_nine_tenths_all():
    runs = steady(8, {0: 10.0, 2: 10.0, 4: 10.0, 6: 20.0})  # 50 km a week
    runs = follow(runs, 11, 4, {0: 0.25, 2: 0.25, 4: 0.25, 6: 0.25})
    plans = [plan_week(runs, monday(w)) for w in range(11, 15)]
    assert [p.plan for p in plans[:3]] == ["rebuild"] * 3
    assert [p.target_m[1] for p in plans[:3]] == pytest.approx([25_000, 37_500, 45_000])
    assert [p.step for p in plans[:3]] == [1, 2, 3]
    # Nine tenths done: the fourth week is the old level, whichever name it goes by.
    assert plans[3].target_m[0] == pytest.approx(45_000 if plans[3].plan == "rebuild" else 50_000)
    assert plans[3].target_m[1] >= 50_000


def test_a_long_break_is_a_cautious_restart():
    runs = [*steady(8, {1: 8.0, 3: 10.0, 6: 17.0}), run(7 * 14 + 1, 4.0)]
    week = plan_week(runs, monday(14))
    assert week.plan == "restart"
    assert week.target_m == pytest.approx((0.27 * 35_000, 0.3 * 35_000))
    assert week.break_days is not None
    assert week.break_days > 31
    assert "return_after_break" in assess_last(runs).flag_codes


def test_after_a_half_marathon_race_the_next_week_is_easier_than_the_average():
    runs = [*steady(6, {1: 8.0, 3: 8.0, 6: 14.0}), run(7 * 6 + 6, 21.1, kind="race")]
    week = plan_week(runs, monday(7))
    assert week.plan == "recover"
    assert week.target_m[1] < 30_000


def test_a_goal_race_tapers_the_last_three_weeks():
    goal = GoalRace(monday(11) + timedelta(days=6), 42_195)
    runs = steady(9, {1: 10.0, 3: 12.0, 5: 28.0})
    plans = [plan_week(runs, monday(w), goal) for w in (9, 10, 11)]
    assert [p.plan for p in plans] == ["taper", "taper", "race_week"]
    assert plans[2].target_m[1] <= 0.6 * 50_000
    assert plans[0].target_m[1] < 50_000


def test_a_short_goal_race_tapers_two_weeks():
    goal = GoalRace(monday(10) + timedelta(days=5), 10_000)
    runs = steady(9, {1: 6.0, 3: 6.0, 5: 12.0})
    assert plan_week(runs, monday(8), goal).plan == "build"
    assert plan_week(runs, monday(9), goal).plan == "taper"


def test_long_run_jump_over_ten_percent_of_the_30_day_longest():
    runs = [run_at(day, 10.0) for day in range(0, 40, 3)] + [run_at(41, 11.04)]
    volume = assess_last(runs)
    assert volume.flag_codes[:1] == ("long_run_jump",)
    assert volume.flags[0].value == pytest.approx(0.104)


def test_long_run_of_exactly_ten_percent_more_is_not_flagged():
    runs = [run_at(day, 10.0) for day in range(0, 40, 3)] + [run_at(41, 11.0)]
    assert "long_run_jump" not in assess_last(runs).flag_codes


def test_a_race_gets_no_long_run_flag():
    runs = [run_at(day, 10.0) for day in range(0, 40, 3)] + [run(41, 21.1, kind="race")]
    assert "long_run_jump" not in assess_last(runs).flag_codes


def test_long_run_jump_needs_thirty_days_of_history():
    runs = [run_at(0, 5.0), run_at(2, 5.0), run_at(5, 12.0)]
    assert "long_run_jump" not in assess_last(runs).flag_codes


def test_the_longest_run_cap_is_ten_percent_over_the_longest_that_still_counts():
    runs = [run_at(0, 20.0), *[run_at(day, 8.0) for day in range(2, 33, 2)], run_at(33, 8.0)]
    volume = assess_last(runs)
    # Day 33 is a Tuesday: the 20 km of day 0 is over 30 days before Sunday, day 34 + 5.
    assert volume.longest_run_cap_m == pytest.approx(8_800)


def test_acwr_is_kept_but_never_flagged():
    runs = weekly({0: 5.0, 3: 5.0}, weeks=8) + [run_at(56 + day, 8.0) for day in range(6)]
    volume = assess_last(runs)
    assert volume.acwr is not None
    assert volume.acwr > 1.5
    assert "acwr_high" not in volume.flag_codes


def test_acwr_near_one_on_daily_steady_load():
    runs = [run_at(day, 6.0) for day in range(120)]
    assert ewma_acwr(build_timeline(runs, runs[-1], None)) == pytest.approx(1.0, abs=0.01)


def test_runs_after_the_run_and_duplicates_are_ignored():
    runs = weekly({1: 8.0, 4: 8.0}, weeks=6)
    target = runs[-3]
    padded = [*runs, runs[0], target, run_at(100, 50.0)]
    assert assess(build_timeline(padded, target, None)) == assess(
        build_timeline(runs[:-2], target, None)
    )


def test_today_moves_the_rolling_window():
    runs = weekly({1: 8.0, 4: 8.0}, weeks=6)
    later = day_of(runs[-1]) + timedelta(days=5)
    assert assess_last(runs, today=later).last_7_days_m == pytest.approx(8_000)


def test_today_before_the_run_means_the_run_day():
    runs = weekly({1: 8.0, 4: 8.0}, weeks=6)
    earlier = day_of(runs[-1]) - timedelta(days=3)
    assert assess_last(runs, today=earlier) == assess_last(runs)
