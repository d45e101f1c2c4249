"""Faults with real processes: nothing acknowledged is lost, nothing is written twice.

One stack for the module, with Celery beat and a fast sweeper, so events whose
task died are picked up again within seconds. Every test ends with the same
check: each run carries exactly one postrun block, below the athlete's own words,
which are unchanged.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from service.local.embedded import wait_until
from service.pipeline.description import MARKER
from service.pipeline.description import strip_blocks
from service.pipeline.processing import WAITING_FOR_IMPORT
from service.storage.models import Athlete
from service.storage.models import Event
from tests.conftest import running_stack
from tests.e2e.conftest import run_payload

pytestmark = pytest.mark.e2e

FAST = {
    "sweep_after_s": 3,
    "sweep_interval_s": 1,
    "backfill_sweep_after_s": 15,
    "rate_window_s": 5,
    "task_max_retries": 10,
    "event_max_attempts": 30,
    # Nobody edits a description in these tests. The re-read before writing happens when
    # a read is 2 s old by the time of the write, which depends on how busy the machine
    # is; it would make the call counts below depend on the load (tests/e2e/test_edits.py
    # covers it).
    "reread_after_s": 3600,
}


@pytest.fixture(scope="module")
def faulty():
    with running_stack("pr-fault-", settings_overrides=FAST, beat=True) as stack:
        yield stack


NO_FAULTS = {"latency_s": 0, "error_rate": 0, "fail_next": []}


@pytest.fixture
def stack(faulty, request):
    faulty.sandbox("POST", "/sandbox/faults", json=NO_FAULTS)
    start = faulty.log_path.stat().st_size
    yield faulty
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        # The processes' own account of the failed test, for whoever reads CI's output.
        with faulty.log_path.open("rb") as log:
            log.seek(start)
            print(log.read().decode(errors="replace")[-12000:])
    if faulty.supervisor.children:
        faulty.sandbox("POST", "/sandbox/faults", json=NO_FAULTS)


def own_words(index: int) -> str:
    return f"Run {index} 🏃 felt {'good' if index % 2 else 'heavy'}.\n\nSplits on the watch.  "


def upload_runs(stack, athlete, count, offset=0):
    """Upload ``count`` runs (newest last) and return {activity id: the athlete's text}."""
    written = {}
    for index in range(count):
        text = own_words(offset + index)
        days_ago = (count - index) / 4
        created = stack.upload(athlete, run_payload(days_ago=days_ago, description=text))
        written[created["id"]] = text
    return written


def history(stack, activity_id):
    """What postrun did with an activity's events, for failure messages."""
    with stack.deps.session_factory() as session:
        events = session.scalars(sa.select(Event).where(Event.object_id == activity_id))
        return [(e.aspect_type, e.status, e.outcome, e.attempts, e.last_error) for e in events]


def assert_annotated_once(stack, written):
    for activity_id, text in written.items():
        description = stack.activity(activity_id)["description"]
        why = (activity_id, description, history(stack, activity_id))
        assert description.count(MARKER) == 1, why
        assert strip_blocks(description) == text, why
        assert description.startswith(text)


def puts(stack):
    return stack.sandbox("GET", "/sandbox/stats")["calls"].get("PUT /api/v3/activities/{id}", 0)


def webhook(stack, body):
    response = stack.http.post(f"{stack.web_url}/webhooks/strava", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response


def activity_event(subscription, athlete, activity_id):
    """A webhook body for one activity, without its aspect type."""
    return {
        "object_type": "activity",
        "object_id": activity_id,
        "owner_id": athlete,
        "subscription_id": subscription,
        "event_time": 1_800_000_000,
        "updates": {},
    }


def test_a_thousand_events_with_duplicates_and_reordering(stack):
    athlete = stack.connect_athlete(firstname="Burst")
    puts_before = puts(stack)
    written = upload_runs(stack, athlete, 100)
    with stack.deps.session_factory() as session:
        subscription = stack.deps.subscription_id(session, fresh=True)
    bodies = []
    for activity_id in written:
        base = activity_event(subscription, athlete, activity_id)
        create = {**base, "aspect_type": "create"}
        bodies += [create, create, {**create, "object_id": str(activity_id)}]
        bodies += [{**create, "event_time": create["event_time"] + n} for n in (1, 2, 3)]
        bodies += [{**base, "aspect_type": "update", "updates": {"title": "Renamed"}}]
        bodies += [{**base, "aspect_type": "update", "updates": {"type": "Run"}, "event_time": 5}]
        bodies += [{**base, "aspect_type": "update", "updates": {"private": "true"}}]
    random.Random(7).shuffle(bodies)
    assert len(bodies) + len(written) == 1000

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda body: webhook(stack, body), bodies))
    stack.wait_idle(timeout=180)

    assert_annotated_once(stack, written)
    assert puts(stack) - puts_before == len(written)


def test_worker_killed_mid_task_again_and_again(stack):
    athlete = stack.connect_athlete(firstname="Killed")
    stack.sandbox("POST", "/sandbox/faults", json={"latency_s": 0.3})
    written = upload_runs(stack, athlete, 24)

    for _ in range(3):
        time.sleep(0.7)  # let tasks get mid-flight: each Strava call takes 0.3 s
        stack.kill_worker()
        stack.start_worker()
    stack.wait_idle(timeout=180)

    assert_annotated_once(stack, written)


def test_redis_restarted_during_a_burst(stack):
    athlete = stack.connect_athlete(firstname="Restart")
    written = {}
    uploader = threading.Thread(target=lambda: written.update(upload_runs(stack, athlete, 30)))
    uploader.start()
    time.sleep(0.3)
    stack.restart_redis()
    uploader.join()
    stack.wait_idle(timeout=180)

    assert len(written) == 30
    assert_annotated_once(stack, written)


def test_a_fifth_of_strava_answers_are_server_errors(stack):
    athlete = stack.connect_athlete(firstname="Flaky")
    stack.sandbox("POST", "/sandbox/faults", json={"error_rate": 0.2, "seed": 11})
    written = upload_runs(stack, athlete, 30)
    stack.wait_idle(timeout=180)

    assert_annotated_once(stack, written)
    assert stack.sandbox("GET", "/sandbox/stats")["faults_injected"] > 0


def test_429_windows_defer_instead_of_hammering(stack):
    athlete = stack.connect_athlete(firstname="Limited")
    stack.sandbox("POST", "/sandbox/stats/reset")
    stack.sandbox("POST", "/sandbox/faults", json={"fail_next": [{"status": 429, "count": 4}]})
    written = upload_runs(stack, athlete, 12)
    stack.wait_idle(timeout=120)

    assert_annotated_once(stack, written)
    stats = stack.sandbox("GET", "/sandbox/stats")
    assert stats["faults_injected"] == 4
    # After each 429 every worker waits for the next window instead of calling again.
    assert stats["calls"].get("GET /api/v3/activities/{id}", 0) <= 12 + 4


def test_slow_strava_one_and_a_half_seconds_a_call(stack):
    athlete = stack.connect_athlete(firstname="Slow")
    stack.sandbox("POST", "/sandbox/faults", json={"latency_s": 1.5})
    written = upload_runs(stack, athlete, 6)
    stack.wait_idle(timeout=120)

    assert_annotated_once(stack, written)


def test_tokens_expiring_mid_burst(stack):
    athletes = [stack.connect_athlete(firstname=f"Expiring {n}") for n in range(3)]
    written = {}
    for athlete in athletes:
        written.update(upload_runs(stack, athlete, 4))
    for athlete in athletes:
        # Strava's side expires; our database still believes the tokens are good.
        stack.sandbox("POST", f"/sandbox/athletes/{athlete}/expire")
    for athlete in athletes:
        written.update(upload_runs(stack, athlete, 4, offset=10))
    stack.wait_idle(timeout=120)

    assert_annotated_once(stack, written)
    with stack.deps.session_factory() as session:
        assert not any(session.get(Athlete, a).needs_reauth for a in athletes)


def list_calls(stack):
    return stack.sandbox("GET", "/sandbox/stats")["calls"].get("GET /api/v3/athlete/activities", 0)


def test_an_import_lost_with_its_worker_is_enqueued_again_by_the_sweeper(stack):
    """The worker dies while the eight-week import reads its first page and a new run
    waits for it. Celery would hand the import out again only after Redis's visibility
    timeout (30 minutes), the run meanwhile waiting 15; the sweeper enqueues it again
    after ``backfill_sweep_after_s`` (docs/operations.md#what-survives-a-crash)."""
    created = stack.sandbox("POST", "/sandbox/athletes", json={"firstname": "Lost import"})
    athlete = created["athlete_id"]
    for days_ago in (3, 10, 24):
        stack.upload(athlete, run_payload(days_ago=days_ago, description="Before postrun."))
    stack.wait_idle()  # their webhooks came before the athlete connected: ignored
    # Connect with no worker running, so the import starts only once Strava is slow: its
    # first page then stays in flight for ``hold_s``.
    stack.kill_worker()
    stack.connect(created["code"], backfill=True)
    hold_s = 30
    stack.sandbox("POST", "/sandbox/faults", json={"latency_s": hold_s})
    calls = list_calls(stack)
    stack.start_worker()
    wait_until(lambda: list_calls(stack) > calls, 30, "the import to ask for its first page")
    run = stack.upload(athlete, run_payload(description="First run with postrun."))
    waiting = f"RetryLater: {WAITING_FOR_IMPORT}"
    wait_until(
        lambda: [e[4] for e in history(stack, run["id"])] == [waiting],
        hold_s / 2,
        "the new run to wait for the import",
    )
    with stack.deps.session_factory() as session:
        lost = session.get(Athlete, athlete)
        assert (lost.backfill_status, lost.backfill_found) == ("pending", 0)  # still in flight

    stack.kill_worker()
    stack.sandbox("POST", "/sandbox/faults", json=NO_FAULTS)
    stack.start_worker()

    wait_until(
        lambda: MARKER in stack.activity(run["id"])["description"],
        90,  # the sweeper's 15 s, the worker's restart and the run's note; not 15 minutes
        "the waiting run's note",
        interval=0.2,
    )
    assert_annotated_once(stack, {run["id"]: "First run with postrun."})
    with stack.deps.session_factory() as session:
        done = session.get(Athlete, athlete)
        (event,) = session.scalars(sa.select(Event).where(Event.object_id == run["id"]))
        # The three runs from before, and the new one: the import lists it too.
        assert (done.backfill_status, done.backfill_found) == ("done", 4)
        assert event.finished_at >= done.backfilled_at  # the note came after the import
