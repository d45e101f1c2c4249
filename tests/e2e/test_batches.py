"""A burst's events travel in a few task messages; one event failing leaves the others be."""

from __future__ import annotations

import os
import time

import pytest
import sqlalchemy as sa

from service.pipeline.processing import process_event
from service.storage.models import Event
from tests.e2e.conftest import run_payload
from tests.e2e.test_faults import assert_annotated_once

pytestmark = pytest.mark.e2e


def events_of(stack, athlete):
    with stack.deps.session_factory() as session:
        return list(session.scalars(sa.select(Event).where(Event.owner_id == athlete)))


def test_a_failing_event_stays_pending_with_its_error_and_the_rest_go_on(stack, athlete):
    # A 400 is no transient error: the batch task records it and carries on.
    rule = {"status": 400, "count": 1, "path_prefix": "/api/v3/activities/", "method": "GET"}
    stack.sandbox("POST", "/sandbox/faults", json={"fail_next": [rule]})
    written = {}
    for n in range(4):
        words = f"Easy run number {n}"
        written[stack.upload(athlete, run_payload(days_ago=n, description=words))["id"]] = words
    stack.sandbox("GET", "/sandbox/webhooks", params={"wait": 1})

    deadline = time.monotonic() + 60
    while True:
        events = events_of(stack, athlete)
        settled = [e for e in events if e.status == "done" or e.last_error]
        if len(events) == 4 and len(settled) == 4:
            break
        assert time.monotonic() < deadline, [(e.id, e.status, e.last_error) for e in events]
        time.sleep(0.05)

    [failed] = [e for e in events if e.status == "pending"]
    assert failed.attempts == 1
    assert "400" in failed.last_error
    assert sorted(e.status for e in events) == ["done", "done", "done", "pending"]
    # What the sweeper does next: run it again. Now it goes through, once.
    assert process_event(stack.deps, failed.id) == "done: annotated"
    assert_annotated_once(stack, written)


def test_the_worker_yields_the_cpu_to_the_web_app(stack):
    """`postrun worker` runs at nice 10 (POSTRUN_WORKER_NICE); gunicorn keeps its priority."""
    processes = dict(stack.supervisor.children)
    web, worker = processes["web"].pid, processes["worker"].pid
    web_nice = os.getpriority(os.PRIO_PROCESS, web)
    # Both start at the test runner's niceness; the kernel caps it at 19.
    assert os.getpriority(os.PRIO_PROCESS, worker) == min(19, web_nice + 10)
