"""The quota benchmark's yardstick: the most runs Strava's limits allow for a day."""

from __future__ import annotations

from collections import Counter

from bench.quota import COST
from bench.quota import DAY_S
from bench.quota import EVENTS
from bench.quota import NEW
from bench.quota import WINDOW_S
from bench.quota import Item
from bench.quota import ideal_runs
from bench.quota import plan_day


def test_calls_are_taken_in_arrival_order_and_a_run_counts_once_written():
    items = [Item(0, "run", 0), Item(1, "ride", 0), Item(2, "duplicate", -1, 0), Item(3, "run", 1)]
    assert ideal_runs(items, short_limit=100, daily_limit=3) == 1  # the second run is read only
    assert ideal_runs(items, short_limit=100, daily_limit=5) == 2


def test_a_full_window_carries_calls_into_the_next_but_not_past_the_day():
    items = [Item(0, "run", n) for n in range(10)]
    assert ideal_runs(items, short_limit=3, daily_limit=1000) == 10  # 96 windows are plenty
    late = [Item(DAY_S - 1, "run", n) for n in range(10)]
    assert ideal_runs(late, short_limit=3, daily_limit=1000) == 1  # one window left: 3 calls


def test_the_day_has_the_planned_mix_in_time_order_and_asks_more_than_a_day_allows():
    items = plan_day()
    kinds = Counter(item.kind for item in items)
    assert kinds["connect"] == NEW
    assert kinds["run"] + kinds["ride"] + kinds["duplicate"] == EVENTS
    assert [item.at for item in items] == sorted(item.at for item in items)
    assert all(0 <= item.at < DAY_S for item in items)
    for item in items:
        if item.kind == "duplicate":
            assert items[item.repeats].kind == "run"
            assert items[item.repeats].at <= item.at
    assert sum(COST[item.kind] for item in items) > 1000
    assert plan_day() == items  # a fixed seed: the same day every run
    assert DAY_S % WINDOW_S == 0
