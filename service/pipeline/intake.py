"""Webhook intake: check an event is ours, then make it durable and hand it on.

The web view calls ``receive_event``; the worker's ingestor calls ``store_events``
for each batch it takes from the Redis inbox.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import redis
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from service.pipeline.deps import Deps
from service.pipeline.errors import NotOurSubscription
from service.pipeline.events import WebhookEvent
from service.pipeline.events import storable
from service.pipeline.inbox import Entry
from service.pipeline.inbox import Unreadable
from service.pipeline.subscription import SUBSCRIPTION_KEY
from service.storage.models import AppState
from service.storage.models import Event
from service.storage.models import EventStatus
from service.storage.rows import clip

log = logging.getLogger(__name__)


def check_subscription(deps: Deps, event: WebhookEvent) -> None:
    """Refuse an event for a push subscription this deployment did not create."""
    if deps.cached_subscription_id() == event.subscription_id:
        return  # the common case costs no database round trip
    with deps.session_factory() as session:
        ours = deps.subscription_id(session)
        if event.subscription_id != ours:
            # The cache may predate a re-created subscription: look again before refusing.
            ours = deps.subscription_id(session, fresh=True)
    if ours is None or event.subscription_id != ours:
        raise NotOurSubscription(event.subscription_id)


def receive_event(deps: Deps, event: WebhookEvent, sender: str = "") -> None:
    """Make a webhook event durable: in the Redis inbox, or in the database without Redis.

    The inbox is one round trip; a worker moves its entries into the database and
    enqueues them after that commit. If Redis cannot take the event, it is stored
    and enqueued here instead, so an acknowledged event is never lost. A ``sender``
    refused too often lately gets ``SenderBlocked`` (see ``service.inbox``).
    """
    check_subscription(deps, event)
    if deps.inbox is not None:
        try:
            deps.inbox.put(event, deps.clock(), sender)
        except redis.RedisError:
            log.warning("inbox unavailable; storing event %s directly", event.dedupe_key()[:12])
        else:
            return
    event_id, fresh = store_event(deps, event, deps.clock())
    if fresh:
        deps.enqueue(event_id)


def refuse_sender(deps: Deps, sender: str) -> bool:
    """Count a refused webhook request; True if ``sender`` is now turned away.

    Without Redis the tally cannot be kept, and the webhook refuses only the request.
    """
    if deps.inbox is None:
        return False
    try:
        return deps.inbox.refused(sender)
    except redis.RedisError:
        return False


def _event_row(deps: Deps, event: WebhookEvent, received_at: float) -> Event:
    received = datetime.fromtimestamp(received_at, UTC)
    return Event(
        dedupe_key=event.dedupe_key(),
        subscription_id=event.subscription_id,
        object_type=event.object_type,
        object_id=event.object_id,
        aspect_type=event.aspect_type,
        owner_id=event.owner_id,
        event_time=event.event_time,
        updates=event.updates,
        received_at=received,
        next_check_at=received
        + timedelta(seconds=deps.settings.processing_delay_s + deps.settings.sweep_after_s),
    )


def store_event(deps: Deps, event: WebhookEvent, received_at: float) -> tuple[int, bool]:
    """Insert one event. A repeat delivery finds the first copy (same dedupe key) and is
    enqueued again only while that copy is still pending, so a lost enqueue heals itself.
    """
    with deps.session_factory() as session:
        row = _event_row(deps, event, received_at)
        session.add(row)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            existing = session.scalars(
                sa.select(Event).where(Event.dedupe_key == row.dedupe_key)
            ).one()
            return existing.id, existing.status == "pending"
        return row.id, True


def store_events(deps: Deps, batch: list[tuple[WebhookEvent, float]]) -> list[int]:
    """Insert a batch from the inbox in one commit; return the ids to enqueue.

    Duplicates within the batch and of stored events collapse onto one row, which
    is enqueued again only while it is pending (as for a single event).
    """
    rows: dict[str, Event] = {}
    for event, received_at in batch:
        rows.setdefault(event.dedupe_key(), _event_row(deps, event, received_at))
    with deps.session_factory() as session:
        existing = {
            row.dedupe_key: row
            for row in session.scalars(sa.select(Event).where(Event.dedupe_key.in_(list(rows))))
        }
        fresh = [row for key, row in rows.items() if key not in existing]
        session.add_all(fresh)
        session.commit()
        again = [row.id for row in existing.values() if row.status == "pending"]
        return [row.id for row in fresh] + again


def park_entry(deps: Deps, item: Entry | Unreadable, problem: str) -> None:
    """Keep an inbox entry that cannot be stored normally as a failed event.

    Its text is made storable (``events.storable``), so the row itself cannot fail
    the way the entry did; ``postrun events --failed`` shows it with the problem.
    """
    if isinstance(item, Unreadable):
        raw = item.raw.decode("utf-8", "backslashreplace")
        row = Event(
            dedupe_key=hashlib.sha256(item.raw).hexdigest(),
            subscription_id=0,
            object_type="unreadable",
            object_id=0,
            aspect_type="",
            owner_id=0,
            event_time=0,
            updates={},
            received_at=deps.now(),
            last_error=clip(Event.last_error, storable(f"{problem}; entry: {raw}")),
        )
    else:
        event = item.event
        row = _event_row(deps, event, item.received_at)
        row.object_type = clip(Event.object_type, storable(event.object_type))
        row.aspect_type = clip(Event.aspect_type, storable(event.aspect_type))
        row.updates = storable(event.updates)
        row.last_error = clip(Event.last_error, storable(problem))
    row.status = EventStatus.FAILED
    row.outcome = "parked: could not be stored from the inbox"
    row.finished_at = deps.now()
    with deps.session_factory() as session:
        known = session.scalar(sa.select(Event.id).where(Event.dedupe_key == row.dedupe_key))
        if known is None:  # a copy that made it in some other way is kept as it is
            session.add(row)
            session.commit()


def save_subscription_id(deps: Deps, subscription_id: int | None) -> None:
    with deps.session_factory() as session:
        stored = session.get(AppState, SUBSCRIPTION_KEY)
        if subscription_id is None:
            if stored:
                session.delete(stored)
        elif stored:
            stored.value = str(subscription_id)
        else:
            session.add(AppState(key=SUBSCRIPTION_KEY, value=str(subscription_id)))
        session.commit()
    deps.subscriptions.forget()
