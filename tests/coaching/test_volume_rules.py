"""One test (or a few) per volume rule in coaching/volume.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from strategies import day_of
from strategies import run_at
from strategies import weekly

from coaching.history import build_timeline
from coaching.volume import assess
from coaching.volume import ewma_acwr


def assess_last(runs, today=None):
    return assess(build_timeline(runs, runs[-1], today))


def test_steady_weeks_raise_no_flag_and_build_ten_percent():
    runs = weekly({1: 8.0, 3: 8.0, 5: 14.0}, weeks=8)
    volume = assess_last(runs)
    assert volume.flags == ()
    assert volume.plan == "build"
    assert volume.last_7_days_m == pytest.approx(30_000)
    assert volume.weekly_average_4w_m == pytest.approx(30_000)
    # The 10 % convention: at most 10 % above the larger of last week and the 4-week average.
    assert volume.next_week_m == pytest.approx((30_000, 33_000))


def test_upper_bound_follows_the_larger_of_last_week_and_the_average():
    runs = [*weekly({1: 10.0, 5: 10.0}, weeks=6), run_at(43, 2.0)]
    volume = assess_last(runs)
    # Last 7 days: 10 + 2 km; the 4-week average is higher and sets the base.
    assert volume.last_7_days_m < volume.weekly_average_4w_m
    assert volume.next_week_m[1] == pytest.approx(1.1 * volume.weekly_average_4w_m)


def test_two_week_jump_above_thirty_percent():
    # Nielsen 2014: more than 30 % over two weeks.
    runs = [*weekly({1: 10.0, 4: 10.0}, weeks=6), run_at(43, 10.0), run_at(44, 7.0)]
    volume = assess_last(runs)
    assert volume.change_2w == pytest.approx(0.35)
    assert "two_week_jump" in volume.flag_codes
    assert volume.plan == "hold"
    assert volume.next_week_m[1] <= max(volume.last_7_days_m, volume.weekly_average_4w_m)


def test_two_week_rise_of_thirty_percent_or_less_is_not_flagged():
    runs = [*weekly({1: 10.0, 4: 10.0}, weeks=6), run_at(43, 10.0), run_at(44, 6.0)]
    volume = assess_last(runs)
    assert volume.change_2w == pytest.approx(0.30)
    assert "two_week_jump" not in volume.flag_codes


def test_long_run_jump_over_ten_percent_of_the_30_day_longest():
    runs = [run_at(day, 10.0) for day in range(0, 40, 3)] + [run_at(41, 11.5)]
    volume = assess_last(runs)
    assert volume.longest_30d_m == pytest.approx(10_000)
    assert [f.code for f in volume.flags][:1] == ["long_run_jump"]
    assert volume.flags[0].value == pytest.approx(0.15)


def test_long_run_of_exactly_ten_percent_more_is_not_flagged():
    runs = [run_at(day, 10.0) for day in range(0, 40, 3)] + [run_at(41, 11.0)]
    assert "long_run_jump" not in assess_last(runs).flag_codes


def test_long_run_jump_needs_thirty_days_of_history():
    # The "longest of the previous 30 days" is unknown for a newcomer.
    runs = [run_at(0, 5.0), run_at(2, 5.0), run_at(5, 12.0)]
    assert "long_run_jump" not in assess_last(runs).flag_codes


def test_acwr_high_on_a_sudden_big_week():
    runs = weekly({0: 5.0, 3: 5.0}, weeks=8)
    runs += [run_at(56 + day, 8.0) for day in range(6)]
    volume = assess_last(runs)
    assert volume.acwr is not None
    assert volume.acwr > 1.5
    assert "acwr_high" in volume.flag_codes


def test_acwr_near_one_on_daily_steady_load():
    runs = [run_at(day, 6.0) for day in range(120)]
    timeline = build_timeline(runs, runs[-1], None)
    assert ewma_acwr(timeline) == pytest.approx(1.0, abs=0.01)


def test_acwr_spike_of_a_single_weekly_run_is_not_flagged():
    # One long run a week: the daily EWMA peaks on the run day, but the week is steady.
    runs = weekly({5: 20.0}, weeks=10)
    volume = assess_last(runs)
    assert volume.acwr is not None
    assert volume.acwr > 1.5
    assert volume.flags == ()


def test_acwr_is_withheld_without_four_weeks_of_history():
    runs = [run_at(day, 5.0) for day in range(0, 20, 2)]
    assert assess_last(runs).acwr is None


def test_return_after_a_break_of_two_weeks_restarts_lower():
    runs = weekly({1: 10.0, 3: 10.0, 5: 10.0}, weeks=6)  # 30 km a week
    runs.append(run_at(40 + 21, 6.0))  # last run on day 40
    volume = assess_last(runs)
    assert "return_after_break" in volume.flag_codes
    assert volume.plan == "restart"
    assert volume.break_days == 20
    assert volume.next_week_m == pytest.approx((12_000, 18_000))


def test_after_a_long_break_the_restart_builds_on_the_return_week():
    runs = weekly({1: 3.0, 5: 3.0}, weeks=4)  # 6 km a week, long ago
    runs.append(run_at(27 + 200, 12.0))  # back after more than six months
    volume = assess_last(runs)
    assert volume.plan == "restart"
    assert "return_after_break" in volume.flag_codes
    assert volume.next_week_m == pytest.approx((0.90 * 12_000, 1.05 * 12_000))


def test_a_return_week_above_the_old_level_holds_instead_of_cutting():
    runs = weekly({1: 2.0, 5: 2.0}, weeks=6)  # 4 km a week
    runs.append(run_at(40 + 21, 8.0))  # three weeks off, then 8 km in one go
    volume = assess_last(runs)
    assert volume.plan == "restart"
    assert volume.next_week_m == pytest.approx((0.90 * 8_000, 8_000))


def test_thirteen_days_off_is_not_a_break():
    runs = [run_at(day, 8.0) for day in range(0, 42, 2)]
    runs.append(run_at(40 + 14, 8.0))  # 13 days without a run
    assert "return_after_break" not in assess_last(runs).flag_codes


def test_the_return_week_lasts_seven_days():
    runs = weekly({1: 10.0, 3: 10.0, 5: 10.0}, weeks=6)
    runs += [run_at(60, 5.0), run_at(62, 5.0), run_at(67, 5.0)]
    assert "return_after_break" in assess(build_timeline(runs, runs[-2], None)).flag_codes
    assert "return_after_break" not in assess_last(runs).flag_codes


def test_cutback_after_three_build_weeks():
    runs = weekly({1: 8.0, 3: 8.0, 6: 12.0}, weeks=6, scale=[1, 1, 1.1, 1.21, 1.33, 1.46])
    volume = assess_last(runs)
    assert "cutback_week" in volume.flag_codes
    assert volume.plan == "cutback"
    base = volume.last_7_days_m
    assert volume.next_week_m == pytest.approx((0.7 * base, 0.8 * base))


def test_two_build_weeks_are_not_enough_for_a_cutback():
    runs = weekly({1: 8.0, 3: 8.0, 6: 12.0}, weeks=6, scale=[1, 1, 1, 1, 1.1, 1.21])
    assert "cutback_week" not in assess_last(runs).flag_codes


def test_newcomer_gets_a_conservative_range():
    runs = [run_at(0, 5.0), run_at(2, 5.0), run_at(4, 6.0)]
    volume = assess_last(runs)
    assert volume.plan == "newcomer"
    assert volume.next_week_m == pytest.approx((0.9 * 16_000, 1.05 * 16_000))
    assert volume.flags == ()


def test_runs_after_the_run_and_duplicates_are_ignored():
    runs = weekly({1: 8.0, 4: 8.0}, weeks=6)
    target = runs[-3]
    padded = [*runs, runs[0], target, run_at(100, 50.0)]
    assert assess(build_timeline(padded, target, None)) == assess(
        build_timeline(runs[:-2], target, None)
    )


def test_today_moves_the_window():
    runs = weekly({1: 8.0, 4: 8.0}, weeks=6)
    later = day_of(runs[-1]) + timedelta(days=5)
    volume = assess_last(runs, today=later)
    assert volume.last_7_days_m == pytest.approx(8_000)


def test_today_before_the_run_means_the_run_day():
    runs = weekly({1: 8.0, 4: 8.0}, weeks=6)
    earlier = day_of(runs[-1]) - timedelta(days=3)
    assert assess_last(runs, today=earlier) == assess_last(runs)
