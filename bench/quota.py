"""``quota_window_efficiency``: how much of Strava's default quota becomes notes.

A stack of its own, with the sandbox at Strava's default limits, and one real
15-minute window: new athletes connect and import their history, then runs,
rides and duplicate events arrive. The figure is the runs annotated in the
window over the most that window allows for the same mix in the same order,
counting what each item needs at the least: a run a read and a write, a ride a
read (a webhook does not say which it is), a duplicate nothing, a new athlete
their profile and one page of history per 200 activities. Strava counts every
call against both its limits, so the smaller (read, 100 a window) decides.

Why one window and not a day on a fast clock: the sandbox's clock is a Python
callable, not something a separate stack's processes can follow, and postrun's
retries and budget windows wait real seconds. The daily limit (1,000 reads) is
ten such windows, each spent the same way.
"""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa

from bench.common import deliver_create
from bench.common import say
from bench.common import subscription
from service.accounts.connect import connect_athlete
from service.local.stack import Stack
from service.pipeline import backfill
from service.storage.models import Activity
from service.strava.budget import DEFAULT_LIMITS

WINDOW_S = 900
ATHLETES = 10
WITH_HISTORY = 3  # of them, with eight weeks of activities to import
HISTORY = 20
MIX = ("run", "run", "ride")  # repeated; every fifth run's create is delivered twice
EVENTS = 150


def deliver_again(stack: Stack, owner: int, activity_id: int) -> None:
    """Strava's create event for an activity postrun was told of already."""
    deliver_create(stack, owner, activity_id, subscription(stack))


def api_calls(stack: Stack) -> tuple[int, int]:
    """(calls to Strava's API so far, 429s), as the sandbox counted them."""
    stats = stack.sandbox("GET", "/sandbox/stats")
    api = sum(n for route, n in stats["calls"].items() if " /api/v3/" in route)
    return api, int(stats["rate_limited"])


def wait_for_a_fresh_window(needed_s: float) -> None:
    """Sleep into the next 15-minute window unless this one has ``needed_s`` left."""
    left = WINDOW_S - time.time() % WINDOW_S
    if left < needed_s:
        time.sleep(left + 1)


def body(kind: str, n: int, days_ago: float = 0.0) -> dict[str, object]:
    start = time.gmtime(time.time() - days_ago * 86400 - 3 * 3600 - n * 60)
    sport = "Run" if kind == "run" else "Ride"
    return {
        "name": f"Quota {kind} {n}",
        "sport_type": sport,
        "type": sport,
        "distance": 8000.0,
        "moving_time": 2700,
        "elapsed_time": 2800,
        "start_date": time.strftime("%Y-%m-%dT%H:%M:%SZ", start),
    }


def ideal_runs(capacity: int, kinds: list[str]) -> int:
    """The most runs ``capacity`` calls annotate, items taken in order at their least cost."""
    runs = 0
    for kind in kinds:
        cost = {"run": 2, "ride": 1, "duplicate": 0}[kind]
        if cost > capacity:
            break
        capacity -= cost
        runs += kind == "run"
    return runs


def quota_window(workdir: Path) -> None:
    with (workdir / "quota.log").open("ab") as log, Stack(workdir / "quota", log=log) as stack:
        assert stack.deps is not None
        wait_for_a_fresh_window(240)
        started = time.time()
        base, _ = api_calls(stack)  # the push subscription, made once at start
        created = [
            stack.sandbox("POST", "/sandbox/athletes", json={"firstname": f"Q{n}"})
            for n in range(ATHLETES)
        ]
        for athlete in created[:WITH_HISTORY]:
            for h in range(HISTORY):
                stack.upload(athlete["athlete_id"], body(MIX[h % len(MIX)], h, days_ago=2 + h))
        stack.wait_idle()  # their webhooks came before they connected: nothing to read
        athletes = []
        for athlete in created:
            athletes.append(connect_athlete(stack.deps, athlete["code"]))
            backfill.backfill_athlete(stack.deps, athletes[-1])
        kinds: list[str] = []
        run_ids: list[int] = []
        for n in range(EVENTS):
            kind = MIX[n % len(MIX)]
            owner = athletes[n % ATHLETES]
            activity = stack.upload(owner, body(kind, n))
            kinds.append(kind)
            if kind == "run":
                run_ids.append(activity["id"])
                if len(run_ids) % 5 == 0:
                    deliver_again(stack, owner, activity["id"])
                    kinds.append("duplicate")
            time.sleep(0.05)
        settled_calls = -1
        while api_calls(stack)[0] != settled_calls and time.time() - started < 600:
            settled_calls = api_calls(stack)[0]
            time.sleep(5)
        with stack.deps.session_factory() as session:
            annotated = (
                session.scalar(
                    sa.select(sa.func.count())
                    .select_from(Activity)
                    .where(Activity.id.in_(run_ids), Activity.status == "annotated")
                )
                or 0
            )
        used, limited = api_calls(stack)
        rolled = int(started // WINDOW_S) != int(time.time() // WINDOW_S)
    setup = ATHLETES * 2  # each profile, and one page of history
    capacity = DEFAULT_LIMITS["read"][0] - setup
    best = ideal_runs(capacity, kinds)
    say("quota_runs_annotated", annotated)
    say("quota_runs_possible", best)
    say("quota_window_efficiency", f"{annotated / best:.2f}")
    say("quota_429", limited)
    say("quota_calls_in_window", used - base)
    if rolled:
        say("quota_note", "the window rolled over during the measurement: rerun")
