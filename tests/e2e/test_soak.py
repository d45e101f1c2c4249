"""A longer soak of the fault tests: ``pytest -m soak`` (left out of the default run).

One stack with Celery beat and a fast sweeper lives through several rounds. In
each, new athletes upload runs while the sandbox fails a fifth of its answers,
answers slowly and closes 429 windows; Strava's webhooks arrive again, out of
order and as updates; the worker is SIGKILLed and started again, Redis is
killed and restarted, and tokens expire. After every round each run written so
far, in every earlier round too, carries exactly one postrun block below the
athlete's own words, which are unchanged. ``POSTRUN_SOAK_ROUNDS`` sets the
number of rounds (8 by default; the last has 1.5 s Strava calls).
"""

from __future__ import annotations

import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from service.storage.models import Event
from tests.conftest import running_stack
from tests.e2e.test_faults import FAST
from tests.e2e.test_faults import NO_FAULTS
from tests.e2e.test_faults import activity_event
from tests.e2e.test_faults import assert_annotated_once
from tests.e2e.test_faults import upload_runs
from tests.e2e.test_faults import webhook

pytestmark = [pytest.mark.e2e, pytest.mark.soak]

ROUNDS = int(os.environ.get("POSTRUN_SOAK_ROUNDS", "8"))
ATHLETES_PER_ROUND = 3
RUNS_PER_ATHLETE = 20
ROUND_TIMEOUT_S = 600


@pytest.fixture(scope="module")
def soaked():
    with running_stack("pr-soak-", settings_overrides=FAST, beat=True) as stack:
        stack.written = {}  # every run of every round: {activity id: the athlete's text}
        yield stack


def faults_for(round_index: int) -> dict[str, object]:
    last = round_index == ROUNDS - 1
    return {
        "error_rate": 0.2,
        "seed": round_index,
        "latency_s": 1.5 if last else 0.1 * (round_index % 3),
        # A 429 window on the activity reads, at some point in the burst.
        "fail_next": [{"status": 429, "count": 3, "path_prefix": "/api/v3/activities"}],
    }


def repeats(subscription, athlete, activity_ids, rng):
    """Strava's habits: the same create again, a create with another time, updates."""
    bodies = []
    for activity_id in activity_ids:
        base = activity_event(subscription, athlete, activity_id)
        bodies.append({**base, "aspect_type": "create"})
        bodies.append({**base, "aspect_type": "create", "event_time": 1_800_000_007})
        bodies.append({**base, "aspect_type": "update", "updates": {"title": "Renamed"}})
    rng.shuffle(bodies)
    return bodies


def chaos(stack, round_index, stop):
    """Kill the worker twice and Redis once while the round's burst goes on."""
    plan = ["worker", "redis", "worker"]
    random.Random(round_index).shuffle(plan)
    for what in plan:
        if stop.wait(1.0 + 0.5 * (round_index % 2)):
            return
        if what == "worker":
            stack.kill_worker()
            stack.start_worker()
        else:
            stack.restart_redis()


@pytest.mark.timeout(ROUND_TIMEOUT_S + 300)
@pytest.mark.parametrize("round_index", range(ROUNDS))
def test_soak_round(soaked, round_index):
    stack = soaked
    rng = random.Random(1000 + round_index)
    # Connected before the faults begin: the test itself makes the OAuth exchange.
    athletes = [
        stack.connect_athlete(firstname=f"Soak {round_index}.{n}")
        for n in range(ATHLETES_PER_ROUND)
    ]
    with stack.deps.session_factory() as session:
        subscription = stack.deps.subscription_id(session, fresh=True)
    stack.sandbox("POST", "/sandbox/faults", json=faults_for(round_index))

    stop = threading.Event()
    breaker = threading.Thread(target=chaos, args=(stack, round_index, stop))
    breaker.start()
    written = {}
    try:
        for index, athlete in enumerate(athletes):
            runs = upload_runs(stack, athlete, RUNS_PER_ATHLETE, offset=100 * round_index)
            written.update(runs)
            if index == 0:
                # Strava's side expires this athlete's tokens in the middle of the burst.
                stack.sandbox("POST", f"/sandbox/athletes/{athlete}/expire")
            bodies = repeats(subscription, athlete, list(runs), rng)
            with ThreadPoolExecutor(6) as pool:
                list(pool.map(lambda body: webhook(stack, body), bodies))
    finally:
        stop.set()
        breaker.join()
    stack.written.update(written)

    started = time.monotonic()
    stack.wait_idle(timeout=ROUND_TIMEOUT_S)
    stack.sandbox("POST", "/sandbox/faults", json=NO_FAULTS)
    print(f"round {round_index}: {len(written)} runs settled in {time.monotonic() - started:.0f} s")

    # This round's runs, and every earlier round's, still exactly once.
    assert_annotated_once(stack, stack.written)
    with stack.deps.session_factory() as session:
        failed = session.scalars(sa.select(Event).where(Event.status == "failed")).all()
    assert not failed, [(e.id, e.object_id, e.last_error) for e in failed]
