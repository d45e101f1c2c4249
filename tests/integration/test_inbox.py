"""The Redis inbox: one round trip on the webhook, a batched commit in the worker."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json

import pytest
import sqlalchemy as sa

from service.pipeline import inbox as inbox_module
from service.pipeline import ingestor as ingestor_module
from service.pipeline.inbox import Inbox
from service.pipeline.ingestor import Ingestor
from service.pipeline.intake import park_entry
from service.pipeline.intake import store_events
from service.storage.models import Event
from service.web.app import create_app
from tests.conftest import SUBSCRIPTION_ID

URL = "/webhooks/strava"


def body(object_id=1, **changes):
    return {
        "aspect_type": "create",
        "event_time": 1_800_000_000,
        "object_id": object_id,
        "object_type": "activity",
        "owner_id": 4242,
        "subscription_id": SUBSCRIPTION_ID,
        **changes,
    }


@pytest.fixture
def live(app_settings, redis_server, redis_client):
    """The app with a real Redis behind its inbox; enqueues are recorded."""
    app = create_app(dataclasses.replace(app_settings, redis_url=redis_server))
    deps = app.extensions["postrun"]
    enqueued = []
    deps.enqueue = enqueued.append
    yield app, deps, enqueued
    app.extensions["postrun.engine"].dispose()


def rows(deps):
    with deps.session_factory() as session:
        return list(session.scalars(sa.select(Event).order_by(Event.id)))


def ingest(deps, consumer="test"):
    def store(entries):
        batch = [(entry.event, entry.received_at) for entry in entries]
        for event_id in store_events(deps, batch):
            deps.enqueue(event_id)

    ingestor = Ingestor(deps.inbox, store, functools.partial(park_entry, deps))
    ingestor.consumer = consumer
    deps.inbox.ensure_group()
    return ingestor


def test_the_webhook_writes_to_the_inbox_only(live):
    app, deps, enqueued = live

    assert app.test_client().post(URL, json=body()).status_code == 200

    assert deps.inbox.backlog() == 1
    assert rows(deps) == []
    assert enqueued == []


def test_ingest_stores_collapses_duplicates_and_enqueues_after_commit(live):
    app, deps, enqueued = live
    client = app.test_client()
    for object_id in (1, 2, 1, "2", 3):
        client.post(URL, json=body(object_id))

    assert ingest(deps).run_once(block_ms=10) == 5

    stored = rows(deps)
    assert [row.object_id for row in stored] == [1, 2, 3]
    assert sorted(enqueued) == sorted(row.id for row in stored)
    assert deps.inbox.backlog() == 0


def test_a_repeat_of_a_pending_event_is_enqueued_again_not_stored_again(live):
    app, deps, enqueued = live
    client = app.test_client()
    client.post(URL, json=body(1))
    ingest(deps).run_once(block_ms=10)
    client.post(URL, json=body(1))

    ingest(deps).run_once(block_ms=10)

    assert len(rows(deps)) == 1
    assert enqueued == [rows(deps)[0].id] * 2


def test_entries_of_a_dead_consumer_are_claimed_by_another(live, monkeypatch):
    app, deps, _enqueued = live
    app.test_client().post(URL, json=body(9))
    deps.inbox.ensure_group()
    # A worker reads the entry, then dies before storing or acknowledging it.
    assert len(deps.inbox.take("dead-worker", block_ms=10)) == 1
    assert ingest(deps, "alive").run_once(block_ms=10) == 0  # not idle long enough yet

    monkeypatch.setattr(inbox_module, "CLAIM_IDLE_MS", 0)

    assert ingest(deps, "alive").run_once(block_ms=10) == 1
    assert [row.object_id for row in rows(deps)] == [9]
    assert deps.inbox.backlog() == 0


def test_without_redis_the_webhook_stores_in_the_database(client, deps):
    """app_settings point at a Redis that is not running: the event still lands."""
    enqueued = []
    deps.enqueue = enqueued.append

    assert client.post(URL, json=body(5)).status_code == 200

    assert [row.object_id for row in rows(deps)] == [5]
    assert enqueued == [rows(deps)[0].id]


def test_inbox_round_trip_keeps_every_field(redis_client):
    from service.pipeline.events import WebhookEvent

    inbox = Inbox(redis_client, stream="postrun:test-inbox")
    inbox.ensure_group()
    event = WebhookEvent("athlete", 7, "update", 7, SUBSCRIPTION_ID, 99, {"authorized": "false"})

    inbox.put(event, 1234.5)
    [entry] = inbox.take("c", block_ms=10)

    assert (entry.event, entry.received_at) == (event, 1234.5)


def test_the_webhook_reconnects_once_after_redis_dropped_its_connection(live, redis_client):
    app, deps, _enqueued = live
    client = app.test_client()
    assert client.post(URL, json=body(1)).status_code == 200
    # What a Redis restart does to the web process's open connection.
    redis_client.client_kill_filter(_type="normal", skipme=True)

    assert client.post(URL, json=body(2)).status_code == 200

    assert deps.inbox.backlog() == 2
    assert rows(deps) == []  # both went to the inbox, none to the fallback


def poison(object_id: int) -> bytes:
    """An inbox entry as an old release (or a bug) could have left it: a lone surrogate,
    which no database driver can encode. The door refuses such bodies now."""
    event = json.dumps(body(object_id, object_type="x", updates={}) | {"received_at": 1.0})
    return event.replace('"x"', '"\\ud800"').encode()


def redeliver(ingestor, monkeypatch):
    """Make pending entries claimable at once, as after CLAIM_IDLE_MS."""
    monkeypatch.setattr(inbox_module, "CLAIM_IDLE_MS", 0)
    ingestor._claimed_at = None


def test_a_poison_entry_holds_up_nothing_and_is_parked(live, monkeypatch):
    app, deps, enqueued = live
    client = app.test_client()
    deps.inbox.ensure_group()
    client.post(URL, json=body(1))
    deps.inbox.client.xadd(inbox_module.STREAM, {"event": poison(2)})
    client.post(URL, json=body(3))
    ingestor = ingest(deps)

    assert ingestor.run_once(block_ms=10) == 3

    # The good entries are stored at once; the bad one waits, pending, for redelivery.
    assert [row.object_id for row in rows(deps)] == [1, 3]
    assert deps.inbox.backlog() == 1
    for _ in range(ingestor_module.MAX_DELIVERIES - 1):
        redeliver(ingestor, monkeypatch)
        assert ingestor.run_once(block_ms=10) == 1

    assert deps.inbox.backlog() == 0
    parked = [row for row in rows(deps) if row.object_id == 2]
    assert [(row.status, row.outcome) for row in parked] == [
        ("failed", "parked: could not be stored from the inbox")
    ]
    assert parked[0].object_type == "\\ud800"  # made storable, visibly
    assert "failed 3 times" in parked[0].last_error
    assert len(enqueued) == 2  # a parked event is not processed


def test_an_unreadable_entry_is_parked_at_once(live):
    app, deps, _enqueued = live
    deps.inbox.ensure_group()
    deps.inbox.client.xadd(inbox_module.STREAM, {"event": b"{not json \x00"})
    deps.inbox.client.xadd(inbox_module.STREAM, {"event": b'{"object_type": 1}'})
    app.test_client().post(URL, json=body(4))

    assert ingest(deps).run_once(block_ms=10) == 3

    assert deps.inbox.backlog() == 0
    assert sorted((row.object_type, row.status) for row in rows(deps)) == [
        ("activity", "pending"),
        ("unreadable", "failed"),
        ("unreadable", "failed"),
    ]


def test_entries_stay_pending_while_the_database_is_away(live, monkeypatch):
    """Nothing is parked, nor acknowledged, while every store fails."""
    app, deps, _enqueued = live
    deps.inbox.ensure_group()
    app.test_client().post(URL, json=body(5))
    ingestor = ingest(deps)

    def away(_entries):
        raise ConnectionError("database away")

    def park_fails(_item, _problem):
        raise ConnectionError("database away")

    ingestor.store, ingestor.park = away, park_fails
    for _ in range(ingestor_module.MAX_DELIVERIES + 1):
        redeliver(ingestor, monkeypatch)
        with contextlib.suppress(ConnectionError):  # raised once parking is tried
            ingestor.run_once(block_ms=10)

    assert deps.inbox.backlog() == 1
    ingestor.store, ingestor.park = ingest(deps).store, ingest(deps).park
    redeliver(ingestor, monkeypatch)
    assert ingestor.run_once(block_ms=10) == 1
    assert [(row.object_id, row.status) for row in rows(deps)] == [(5, "pending")]


def test_a_sender_refused_too_often_is_turned_away(live):
    app, deps, _enqueued = live
    client = app.test_client()
    for _ in range(inbox_module.FAILURES_PER_WINDOW - 1):
        assert client.post(URL, json=body(1, subscription_id=7)).status_code == 400
    assert client.post(URL, json=body(1, subscription_id=7)).status_code == 429

    # Now even a right guess learns nothing, and other senders are not affected.
    turned_away = client.post(URL, json=body(1))
    other = client.post(URL, json=body(1), environ_base={"REMOTE_ADDR": "203.0.113.9"})

    assert turned_away.status_code == 429
    assert "too many refused requests" in turned_away.get_json()["error"]
    assert other.status_code == 200
    assert deps.inbox.backlog() == 1
