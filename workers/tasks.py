"""Celery tasks: decode the ids, call a handler, let Celery retry what is transient.

Task bodies hold no logic. They take ids, never ORM objects, and they are safe
to run twice: the handlers are idempotent, which is what makes late
acknowledgement (a task killed mid-way is delivered again) safe.
"""

from __future__ import annotations

import itertools
import logging
import random

from celery import shared_task
from flask import current_app

from service.config import Settings
from service.logs import log_context
from service.ops import maintenance
from service.pipeline import backfill
from service.pipeline import processing
from service.pipeline.admin import claim_stale_backfills
from service.pipeline.admin import claim_stale_events
from service.pipeline.deps import Deps
from service.pipeline.errors import RetryLater
from service.pipeline.processing import defer_event
from service.pipeline.processing import events_waiting_for_import
from service.pipeline.processing import park_event
from service.strava.errors import RateLimited
from service.strava.errors import Unavailable
from service.strava.locks import LockBusy

# Redis redelivers an unacknowledged task after the visibility timeout, so a retry
# must never be scheduled further out than that
# (docs/sources.md#why-no-retry-waits-longer-than-15-minutes).
MAX_COUNTDOWN_S = 15 * 60

log = logging.getLogger(__name__)


def _deps() -> Deps:
    return current_app.extensions["postrun"]


def backoff(retries: int) -> float:
    """Exponential backoff with full jitter: 2, 4, 8 … seconds, capped, never in step."""
    ceiling = min(MAX_COUNTDOWN_S, 2 ** (retries + 1))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not security)


def retry_plan(settings: Settings, error: Exception, retries: int) -> tuple[float, int]:
    """How long to wait before the next try, and how many tries this kind of error gets."""
    if isinstance(error, RateLimited):
        # Deferred to the next window rather than sleeping in the worker; a spent
        # daily budget means waiting until midnight UTC, 15 minutes at a time.
        wait = min(MAX_COUNTDOWN_S, error.retry_after_s + random.uniform(0, 5))  # noqa: S311
        return wait, 24 * 4 + settings.task_max_retries
    if isinstance(error, RetryLater):
        wait = error.retry_after_s + random.uniform(0, 5)  # noqa: S311
        # Enough tries to outlast the cause's patience, with one to spare.
        return wait, int(error.patience_s // error.retry_after_s) + 2
    if isinstance(error, LockBusy):
        # Another worker is on the same activity or athlete; it will finish soon.
        return random.uniform(1, 5), settings.task_max_retries  # noqa: S311
    return backoff(retries), settings.task_max_retries


TRANSIENT = (RateLimited, RetryLater, Unavailable, LockBusy)


def defer_or_park(
    deps: Deps, event_id: int, error: Exception, retries: int
) -> tuple[float, int] | None:
    """After a transient error: defer the event and say (countdown, retry limit), or,
    out of retries, park it as failed with its error and say None."""
    countdown, limit = retry_plan(deps.settings, error, retries)
    counters = current_app.extensions["postrun.counters"]
    if retries >= limit:
        park_event(deps, event_id, error)
        counters.add("task:failed")
        return None
    defer_event(deps, event_id, countdown)
    counters.add("task:deferred")
    return countdown, limit


@shared_task(bind=True, name="postrun.process_event", acks_late=True, reject_on_worker_lost=True)
def process_event(self, event_id: int) -> str:  # type: ignore[no-untyped-def]
    deps = _deps()
    try:
        with log_context(task_id=self.request.id, event_id=int(event_id)):
            return processing.process_event(deps, int(event_id))
    except TRANSIENT as error:
        plan = defer_or_park(deps, int(event_id), error, self.request.retries)
        if plan is None:
            raise  # parked: the task fails with the event's last error
        countdown, limit = plan
        raise self.retry(exc=error, countdown=countdown, max_retries=limit + 1) from error


@shared_task(bind=True, name="postrun.process_events", acks_late=True, reject_on_worker_lost=True)
def process_events(self, event_ids: list[int]) -> int:  # type: ignore[no-untyped-def]
    """Several events from one inbox batch, in one task message (see ``enqueue_batch``).

    Each event is handled exactly as ``process_event`` handles it. One that meets a
    transient error goes on alone: it is deferred and handed to ``process_event`` as
    that task's first retry, with the same countdown. One that fails otherwise stays
    pending (with its error and the attempt counted) for the sweeper; the rest of the
    batch carries on, and the task then fails naming every such event.
    """
    deps = _deps()
    failed: list[tuple[int, Exception]] = []
    for raw_id in event_ids:
        event_id = int(raw_id)
        with log_context(task_id=self.request.id, event_id=event_id):
            try:
                processing.process_event(deps, event_id)
            except TRANSIENT as error:
                plan = defer_or_park(deps, event_id, error, retries=0)
                if plan is not None:
                    _hand_on(event_id, countdown=plan[0])
            except Exception as error:
                log.exception("event %s failed; the sweeper will run it again", event_id)
                failed.append((event_id, error))
    if failed:
        names = ", ".join(str(event_id) for event_id, _ in failed)
        raise BatchFailed(f"event(s) {names} failed and stay pending") from failed[0][1]
    return len(event_ids)


class BatchFailed(Exception):
    """Some events of a batch failed; each keeps its error, and the sweeper runs it again."""


def _hand_on(event_id: int, countdown: float) -> None:
    try:
        process_event.apply_async((event_id,), countdown=countdown, retries=1, retry=False)
    except Exception:
        # The event is deferred with a next check: the sweeper enqueues it then.
        log.exception("could not hand event %s on; the sweeper will", event_id)


# Fewest task messages an inbox batch of that many events becomes (a worker's threads),
# and most events one message carries.
BATCH_SPREAD = 4
BATCH_MOST = 20


def batches(
    event_ids: list[int], spread: int = BATCH_SPREAD, most: int = BATCH_MOST
) -> list[list[int]]:
    """Split ids into task messages: at most ``most`` ids each, and no fewer than
    ``spread`` messages while there are that many ids, so that a worker's threads
    share a small batch of slow Strava calls instead of one thread taking it all."""
    if not event_ids:
        return []
    parts = max(min(len(event_ids), spread), -(-len(event_ids) // most))
    size, extra = divmod(len(event_ids), parts)
    bounds = [n * size + min(n, extra) for n in range(parts + 1)]
    return [event_ids[start:end] for start, end in itertools.pairwise(bounds)]


def enqueue_batch(event_ids: list[int], countdown: float) -> None:
    """Enqueue events that were just committed, a few messages for the whole batch.

    One message per event made Celery's own work (publish, fetch, acknowledge, log)
    most of a worker's CPU under a burst of webhooks, CPU the web app shares.
    """
    for part in batches(event_ids):
        try:
            process_events.apply_async((part,), countdown=countdown, retry=False)
        except Exception:
            # The events are committed; the sweeper enqueues them later.
            log.exception("could not enqueue events %s; they stay pending", part)


@shared_task(name="postrun.sweep_events")
def sweep_events() -> int:
    """Re-enqueue events that were accepted but not finished (a lost enqueue or task),
    and eight-week imports still pending past their next check (a lost task)."""
    deps = _deps()
    ids = claim_stale_events(deps)
    for event_id in ids:
        deps.enqueue(event_id)
    athletes: list[int] = []
    if deps.enqueue_backfill is not None:
        athletes = claim_stale_backfills(deps)
        for athlete_id in athletes:
            deps.enqueue_backfill(athlete_id)
    return len(ids) + len(athletes)


@shared_task(bind=True, name="postrun.backfill_athlete", acks_late=True, reject_on_worker_lost=True)
def backfill_athlete(self, athlete_id: int) -> int:  # type: ignore[no-untyped-def]
    """Import a newly connected athlete's last eight weeks of runs (service.pipeline.backfill)."""
    deps = _deps()
    try:
        added = backfill.backfill_athlete(deps, int(athlete_id))
    except (RateLimited, Unavailable) as error:
        countdown, limit = retry_plan(deps.settings, error, self.request.retries)
        if self.request.retries >= limit:
            backfill.mark_failed(deps, int(athlete_id))
            raise
        backfill.defer(deps, int(athlete_id), countdown)
        raise self.retry(exc=error, countdown=countdown, max_retries=limit + 1) from error
    # Runs that arrived meanwhile go on now rather than at their deferral's next check.
    for event_id, countdown in events_waiting_for_import(deps, int(athlete_id)):
        process_event.apply_async((event_id,), countdown=countdown)
    return added


@shared_task(name="postrun.ensure_subscription")
def ensure_subscription() -> str:
    return maintenance.ensure_subscription(_deps())


@shared_task(bind=True, name="postrun.reconcile", acks_late=True)
def reconcile(self) -> int:  # type: ignore[no-untyped-def]
    deps = _deps()
    try:
        created = maintenance.reconcile(deps)
    except (RateLimited, Unavailable) as error:
        countdown, limit = retry_plan(deps.settings, error, self.request.retries)
        raise self.retry(exc=error, countdown=countdown, max_retries=limit) from error
    for event_id in created:
        deps.enqueue(event_id)
    return len(created)


@shared_task(name="postrun.clean_up")
def clean_up() -> int:
    return maintenance.clean_up(_deps())
