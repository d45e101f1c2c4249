"""Which runs get the circuit: at most ``circuits_per_week`` in any 7 days, 48 h apart.

Frequency: ACSM 2009 (peers-and-evidence.md §C.3) puts novices at 2-3 strength
days a week and Blagrove 2018 (§C.2) at 2-3 sessions; §C.3 suggests a circuit
only when none was done in the last 48 h rather than after every run. The
athlete picks 1-4 a week (Runna offers 1-4 sessions, §C.3).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from coaching.model import Run

REST = timedelta(hours=48)
WINDOW = timedelta(days=7)
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


def circuit_runs(runs: Sequence[Run], per_week: int) -> list[Run]:
    """Replay ``runs`` (oldest first) and return the ones that got a circuit.

    Greedy and in order: a run gets the circuit when the last one was 48 h or more
    before it and fewer than ``per_week`` fell in the 7 days before it.
    """
    given: list[Run] = []
    for run in runs:
        if given and run.start - given[-1].start < REST:
            continue
        if len(given) >= per_week and run.start - given[-per_week].start < WINDOW:
            continue
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


def plan_for(runs: Sequence[Run], run: Run, per_week: int) -> tuple[bool, datetime | None]:
    """Whether ``run`` (the last of ``runs``) gets the circuit, and when the next is due."""
    start = replay_start(run)
    given = circuit_runs([r for r in runs if r.start >= start], per_week)
    gets = bool(given) and given[-1] is run
    return gets, next_due(given, per_week)
