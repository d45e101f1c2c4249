"""Poison traffic at 20 a second does not hold up a real run, on the real stack.

Two kinds at once: hostile bodies posted to the webhook from another address (the
door refuses them, then turns the sender away), and poison entries written
straight into the Redis inbox, as an older release could have left them (the
worker stores around them).
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse

import pytest
import redis

from service.config import redis_client_url
from service.pipeline.description import MARKER
from service.pipeline.inbox import GROUP
from service.pipeline.inbox import STREAM
from tests.e2e.conftest import run_payload

pytestmark = pytest.mark.e2e

HOSTILE = [
    b'{"object_type":"\\ud800","object_id":1,"aspect_type":"create","owner_id":1,'
    b'"subscription_id":%d,"event_time":1}',
    b'{"object_type":"activity","object_id":1,"aspect_type":"create","owner_id":1,'
    b'"subscription_id":%d,"event_time":1,"updates":{"title":NaN}}',
    b"[" * 990 + b"]" * 990,
    b'{"object_id":' + b"9" * 5000 + b"}",
]


def poison_entry(owner_id: int, object_id: int) -> bytes:
    body = {
        "object_type": "x",
        "object_id": object_id,
        "aspect_type": "create",
        "owner_id": owner_id,
        "subscription_id": 1,
        "event_time": 1,
        "updates": {},
        "received_at": time.time(),
    }
    return json.dumps(body).replace('"x"', '"\\ud800"').encode()


class Poisoner(threading.Thread):
    """Twenty hostile requests and twenty poison entries a second until stopped."""

    def __init__(self, stack, subscription_id: int) -> None:
        super().__init__(daemon=True)
        self.url = urllib.parse.urlsplit(stack.web_url)
        self.redis = redis.Redis.from_url(redis_client_url(stack.settings.redis_url))
        self.subscription_id = subscription_id
        self.stopped = threading.Event()
        self.statuses: list[int] = []
        self.entries: list[bytes] = []

    def post(self, body: bytes) -> int:
        # From 127.0.0.2: the sandbox delivers Strava's own events from 127.0.0.1, and
        # the door turns this sender away after its first thirty refusals.
        connection = http.client.HTTPConnection(
            self.url.hostname, self.url.port, timeout=5, source_address=("127.0.0.2", 0)
        )
        try:
            headers = {"Content-Type": "application/json"}
            connection.request("POST", "/webhooks/strava", body=body, headers=headers)
            return connection.getresponse().status
        finally:
            connection.close()

    def run(self) -> None:
        sent = 0
        while not self.stopped.wait(0.05):
            template = HOSTILE[sent % len(HOSTILE)]
            body = template % self.subscription_id if b"%d" in template else template
            self.statuses.append(self.post(body))
            self.entries.append(self.redis.xadd(STREAM, {"event": poison_entry(1, 10_000 + sent)}))
            sent += 1

    def clean_up(self) -> None:
        """Take the poison entries back out: parking them takes three claim periods
        (tests/integration/test_inbox.py shows it), longer than the next test waits."""
        if self.entries:
            self.redis.xack(STREAM, GROUP, *self.entries)
            self.redis.xdel(STREAM, *self.entries)
        self.redis.close()


def test_a_real_run_is_annotated_within_seconds_under_poison_traffic(stack, athlete):
    with stack.deps.session_factory() as session:
        subscription_id = stack.deps.subscription_id(session, fresh=True)
    poisoner = Poisoner(stack, subscription_id)
    poisoner.start()
    try:
        # Two seconds of poison ahead of the real run, past the sender's 30 refusals.
        while len(poisoner.statuses) < 40:
            assert poisoner.is_alive()
            time.sleep(0.05)
        started = time.monotonic()
        created = stack.upload(athlete, run_payload())
        deadline = started + 10
        while MARKER not in (stack.activity(created["id"])["description"] or ""):
            assert time.monotonic() < deadline, "the run waited more than 10 s for its note"
            time.sleep(0.2)
        waited = time.monotonic() - started
    finally:
        poisoner.stopped.set()
        poisoner.join(10)
        poisoner.clean_up()

    assert waited < 10
    assert len(poisoner.statuses) >= 40
    assert all(status in (400, 429) for status in poisoner.statuses)
    assert 429 in poisoner.statuses  # the sender was turned away in the end
