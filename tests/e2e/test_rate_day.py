"""Strava's daily limit on a fast clock: postrun fills the day, then waits for the next.

The sandbox and postrun are given the same short windows (4 s) and day (16 s), as
the quota benchmark runs a whole day (bench/quota.py). With 10 reads a day and
eight runs to annotate (16 calls at least), the work must spread over two days or
more without a single 429, and every run ends with exactly one note.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from service.storage.models import Event
from service.storage.models import EventStatus
from tests.conftest import running_stack
from tests.e2e.test_faults import assert_annotated_once
from tests.e2e.test_faults import upload_runs

pytestmark = pytest.mark.e2e

WINDOW_S, DAY_S, PER_WINDOW, PER_DAY = 4, 16, 6, 10
SANDBOX = (
    "--rate-window-s",
    str(WINDOW_S),
    "--rate-day-s",
    str(DAY_S),
    "--read-limit-15min",
    str(PER_WINDOW),
    "--read-limit-daily",
    str(PER_DAY),
)
SETTINGS = {"rate_window_s": WINDOW_S, "rate_day_s": DAY_S, "sweep_after_s": 3}


def api_calls(stats):
    return sum(n for route, n in stats["calls"].items() if " /api/v3/" in route)


def test_a_spent_day_defers_to_the_next_without_a_429():
    with running_stack("pr-day-", sandbox_args=SANDBOX, settings_overrides=SETTINGS) as stack:
        athlete = stack.connect_athlete(firstname="Daily")
        written = upload_runs(stack, athlete, 8)
        stack.wait_idle(timeout=120)  # at least two of the 16 s days

        assert_annotated_once(stack, written)
        stats = stack.sandbox("GET", "/sandbox/stats")
        assert stats["rate_limited"] == 0
        # More calls than one day allows were made: the daily limit bound, and held.
        assert api_calls(stats) > PER_DAY + 1
        with stack.deps.session_factory() as session:
            failed = session.scalar(
                sa.select(sa.func.count())
                .select_from(Event)
                .where(Event.status == EventStatus.FAILED)
            )
        assert failed == 0
