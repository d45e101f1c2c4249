"""The Redis inbox: one round trip on the webhook, a batched commit in the worker."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from service.pipeline import inbox as inbox_module
from service.pipeline.inbox import Inbox
from service.pipeline.inbox import Ingestor
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

    ingestor = Ingestor(deps.inbox, store)
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
