"""One week far above the usual is never held, built on or taken for a break after it."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from coaching import Run
from coaching.weeks import BUILD
from coaching.weeks import JUMP
from coaching.weeks import plan_week

START = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)  # a Monday
SHARES = {1: 0.25, 3: 0.3, 6: 0.45}


def week(index: int, km: float) -> list[Run]:
    return [
        Run(
            id=f"w{index}d{day}",
            start=START + timedelta(days=7 * index + day),
            distance_m=share * km * 1000,
            moving_time_s=round(share * km * 330),
        )
        for day, share in SHARES.items()
    ]


def monday(index: int) -> date:
    return (START + timedelta(days=7 * index)).date()


@given(
    usual=st.floats(min_value=8.0, max_value=150.0),
    factor=st.floats(min_value=1.35, max_value=6.0),
    usual_weeks=st.integers(min_value=2, max_value=8),
    after=st.integers(min_value=0, max_value=4),
)
@settings(max_examples=150, deadline=None)
def test_one_big_week_raises_no_target_past_the_jump_line(usual, factor, usual_weeks, after):
    runs = [r for w in range(usual_weeks) for r in week(w, usual)]
    runs += week(usual_weeks, usual * factor)
    runs += [r for w in range(usual_weeks + 1, usual_weeks + 1 + after) for r in week(w, usual)]
    plan = plan_week(runs, monday(usual_weeks + 1 + after))
    assert plan.target_m is not None
    limit = (1 + JUMP) * usual * 1000
    if after:
        limit *= BUILD[1]
    assert plan.target_m[1] <= limit * (1 + 1e-9)
    assert plan.plan in ("hold", "build")
