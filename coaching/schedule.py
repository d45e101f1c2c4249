"""Which runs get the circuit: at most ``circuits_per_week`` in any 7 days, 48 h apart.

Frequency, spacing and the easy-day preference: docs/coaching.md#circuit-schedule.
Runs that may never get one (races, warm-ups, the days around a race) are decided in
``coaching.races``; runs stored with ``circuit=True`` count as given, whatever the
replay would have said, because postrun did prescribe them.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from coaching.model import Run

REST = timedelta(hours=48)
WINDOW = timedelta(days=7)
# A long run or a workout gets the circuit only when none came in the last four
# days; otherwise an easy day is left to take it (docs/coaching.md#circuit-schedule).
HARD_DAY_WAIT = timedelta(days=4)
HARD = frozenset({"long", "workout"})
# The replay starts at a fixed 28-day boundary, one block before the run's own.
# The pipeline passes a sliding window of history: were the replay to start at
# the window's first run, its phase would drift and a daily runner could see
# no circuit at all. Fixed boundaries keep consecutive runs' answers in agreement;
# 28 days is four whole weeks, so a weekly routine keeps its phase across them.
EPOCH = datetime(1990, 1, 1, tzinfo=UTC)
BLOCK = timedelta(days=28)


def replay_start(run: Run) -> datetime:
    """The fixed boundary where the replay for ``run`` begins (28 to 56 days before it)."""
    blocks = (run.start - EPOCH) // BLOCK
    return EPOCH + (blocks - 1) * BLOCK


def _allowed(run: Run, given: Sequence[Run], per_week: int) -> bool:
    if given and run.start - given[-1].start < REST:
        return False
    if len(given) >= per_week and run.start - given[-per_week].start < WINDOW:
        return False
    return not (run.workout_type in HARD and given and run.start - given[-1].start < HARD_DAY_WAIT)


def circuit_runs(
    runs: Sequence[Run],
    per_week: int,
    blocked: Callable[[Run], bool] | None = None,
    last: Run | None = None,
) -> list[Run]:
    """Replay ``runs`` (oldest first) and return the ones that got a circuit.

    Greedy and in order: a run gets the circuit when the last one was 48 h or more
    before it, fewer than ``per_week`` fell in the 7 days before it, and it is not
    ``blocked``. Runs other than ``last`` stored with ``circuit=True`` count as given.
    """
    given: list[Run] = []
    for run in runs:
        stored = run.circuit and run is not last
        if stored or ((blocked is None or not blocked(run)) and _allowed(run, given, per_week)):
            given.append(run)
    return given


def next_due(given: Sequence[Run], per_week: int) -> datetime | None:
    """The first moment a run would get the next circuit, after the ones ``given``."""
    if not given:
        return None
    due = given[-1].start + REST
    if len(given) >= per_week:
        due = max(due, given[-per_week].start + WINDOW)
    return due


def plan_for(
    runs: Sequence[Run],
    run: Run,
    per_week: int,
    blocked: Callable[[Run], bool] | None = None,
) -> tuple[bool, datetime | None]:
    """Whether ``run`` (the last of ``runs``) gets the circuit, and when the next is due."""
    start = replay_start(run)
    given = circuit_runs([r for r in runs if r.start >= start], per_week, blocked, run)
    gets = bool(given) and given[-1] is run
    return gets, next_due(given, per_week)
