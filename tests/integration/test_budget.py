"""The shared Strava budget, against a real Redis."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest

from service.strava.budget import LOW_PRIORITY_SHARE
from service.strava.budget import BudgetSpent
from service.strava.budget import RateBudget

# 10:07:30 UTC: 7.5 minutes left in the quarter hour.
NOON_ISH = datetime(2026, 3, 1, 10, 7, 30, tzinfo=UTC).timestamp()


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def headers(read_used=(0, 0), read_limit=(100, 1000), used=(0, 0), limit=(200, 2000)):
    return {
        "X-ReadRateLimit-Usage": f"{read_used[0]},{read_used[1]}",
        "X-ReadRateLimit-Limit": f"{read_limit[0]},{read_limit[1]}",
        "X-RateLimit-Usage": f"{used[0]},{used[1]}",
        "X-RateLimit-Limit": f"{limit[0]},{limit[1]}",
    }


@pytest.fixture
def clock():
    return Clock(NOON_ISH)


@pytest.fixture
def budget(redis_client, clock):
    return RateBudget(redis_client, clock=clock)


def test_reserves_up_to_the_read_limit_then_defers_to_the_next_quarter_hour(budget, clock):
    budget.observe(headers(read_used=(95, 400)))

    for _ in range(5):
        budget.reserve()
    with pytest.raises(BudgetSpent) as spent:
        budget.reserve()

    assert spent.value.window == "read 15-minute"
    assert spent.value.retry_after_s == pytest.approx(450)
    assert budget.usage()["read 15-minute"] == (100, 100)


def test_the_next_window_starts_afresh_but_the_day_keeps_counting(budget, clock):
    budget.observe(headers(read_used=(100, 400)))
    clock.now += 450  # 10:15:00

    budget.reserve()

    assert budget.usage()["read 15-minute"] == (1, 100)
    assert budget.usage()["read daily"] == (401, 1000)


def test_a_spent_day_defers_until_midnight_utc(budget, clock):
    budget.observe(headers(read_used=(3, 1000)))

    with pytest.raises(BudgetSpent) as spent:
        budget.reserve()

    assert spent.value.window == "read daily"
    seconds_to_midnight = datetime(2026, 3, 2, tzinfo=UTC).timestamp() - clock.now
    assert spent.value.retry_after_s == pytest.approx(seconds_to_midnight)


def test_a_day_on_a_fast_clock_has_the_same_limits_and_resets_on_its_own_boundary(
    redis_client, clock
):
    """3 s windows in a 288 s day: Strava's day at 300 times speed, as the quota bench runs it."""
    fast = RateBudget(redis_client, clock=clock, window_s=3, day_s=288)
    clock.now = clock.now - clock.now % 288 + 286  # two seconds before the day ends
    fast.observe(headers(read_used=(99, 999)))

    fast.reserve()
    with pytest.raises(BudgetSpent) as spent:
        fast.reserve()
    assert spent.value.window == "read 15-minute"
    assert spent.value.retry_after_s == pytest.approx(2)

    clock.now += 2  # a new short window and a new day
    fast.reserve()
    assert fast.usage()["read daily"] == (1, 1000)
    assert fast.usage()["read 15-minute"] == (1, 100)


def test_a_call_in_the_last_half_second_of_a_window_counts_in_the_next_too(budget, clock):
    clock.now = clock.now - clock.now % 900 + 899.7  # 10:14:59.7
    budget.reserve()
    clock.now += 0.3  # 10:15:00, when Strava may have counted it
    assert budget.usage()["read 15-minute"] == (1, 100)
    assert budget.usage()["read daily"] == (1, 1000)  # the same day: counted once

    clock.now += 1
    budget.reserve()
    assert budget.usage()["read 15-minute"] == (2, 100)


def test_an_answer_that_crosses_into_a_new_window_is_not_counted_in_it(budget, clock):
    """Sent at 23:59:59.9 with the day's usage at 800, answered at midnight: the 800 are
    yesterday's, and must not spend today (the same for a quarter hour)."""
    midnight = clock.now - clock.now % 86400 + 86400
    clock.now = midnight + 0.05
    budget.observe(headers(read_used=(90, 800)), sent_at=midnight - 0.1)
    assert budget.usage()["read 15-minute"] == (0, 100)
    assert budget.usage()["read daily"] == (0, 1000)

    budget.exhaust(sent_at=midnight - 0.1)  # a 429 of the last window
    assert budget.usage()["read 15-minute"] == (0, 100)

    budget.observe(headers(read_used=(3, 3)), sent_at=midnight + 0.01)  # today's own
    assert budget.usage()["read daily"] == (3, 1000)
    budget.exhaust(sent_at=midnight + 0.01)
    assert budget.usage()["read 15-minute"] == (100, 100)


def test_headers_never_lower_what_we_counted(budget):
    for _ in range(10):
        budget.reserve()

    budget.observe(headers(read_used=(4, 4)))  # an older response arriving late

    assert budget.usage()["read 15-minute"] == (10, 100)


def test_limits_come_from_the_headers(budget):
    budget.observe(headers(read_limit=(3, 30), read_used=(0, 0)))

    for _ in range(3):
        budget.reserve()
    with pytest.raises(BudgetSpent):
        budget.reserve()


def test_low_priority_work_leaves_room_for_fresh_runs(budget):
    budget.observe(headers(read_limit=(10, 1000)))
    allowed = int(10 * LOW_PRIORITY_SHARE)

    for _ in range(allowed):
        budget.reserve(priority="low")
    with pytest.raises(BudgetSpent):
        budget.reserve(priority="low")
    for _ in range(10 - allowed):
        budget.reserve(priority="high")
    with pytest.raises(BudgetSpent):
        budget.reserve(priority="high")


def test_a_429_spends_the_window_for_every_worker(redis_client, clock):
    one = RateBudget(redis_client, clock=clock)
    other = RateBudget(redis_client, clock=clock)

    one.exhaust()

    with pytest.raises(BudgetSpent):
        other.reserve()


def test_workers_sharing_redis_never_overspend(redis_client, clock):
    from concurrent.futures import ThreadPoolExecutor

    RateBudget(redis_client, clock=clock).observe(headers(read_limit=(50, 1000)))

    def attempt(_):
        try:
            RateBudget(redis_client, clock=clock).reserve()
        except BudgetSpent:
            return False
        return True

    with ThreadPoolExecutor(8) as pool:
        granted = sum(pool.map(attempt, range(200)))

    assert granted == 50


def test_one_athletes_share_is_spent_without_touching_anyone_elses(budget, clock):
    for _ in range(3):
        budget.reserve_for(7, limit=3)
    with pytest.raises(BudgetSpent) as spent:
        budget.reserve_for(7, limit=3)

    assert spent.value.retry_after_s == pytest.approx(450)
    budget.reserve_for(8, limit=3)  # another athlete's share is whole
    clock.now += 450  # the next quarter hour gives athlete 7 a fresh share
    budget.reserve_for(7, limit=3)


def test_the_gateway_defers_an_athlete_past_their_share(budget):
    from service.strava.errors import RateLimited
    from service.strava.gateway import StravaGateway

    gateway = StravaGateway(1, "s", budget=budget, athlete_calls_per_window=2)
    gateway.charge_athlete(5)
    gateway.charge_athlete(5)

    with pytest.raises(RateLimited):
        gateway.charge_athlete(5)
