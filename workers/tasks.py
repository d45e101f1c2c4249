"""Celery tasks: decode the ids, call a handler, let Celery retry what is transient.

Task bodies hold no logic. They take ids, never ORM objects, and they are safe
to run twice: the handlers are idempotent, which is what makes late
acknowledgement (a task killed mid-way is delivered again) safe.
"""

from __future__ import annotations

import random

from celery import shared_task
from flask import current_app

from service import handlers
from service.config import Settings
from service.locks import LockBusy
from service.logs import log_context
from service.strava import RateLimited
from service.strava import Unavailable

# Redis redelivers an unacknowledged task after the visibility timeout, so a retry
# must never be scheduled further out than that (strava-api.md §3 windows are 15 min).
MAX_COUNTDOWN_S = 15 * 60


def _deps() -> handlers.Deps:
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
    if isinstance(error, handlers.RetryLater):
        wait = error.retry_after_s + random.uniform(0, 5)  # noqa: S311
        # Enough tries to outlast the cause's patience, with one to spare.
        return wait, int(error.patience_s // error.retry_after_s) + 2
    if isinstance(error, LockBusy):
        # Another worker is on the same activity or athlete; it will finish soon.
        return random.uniform(1, 5), settings.task_max_retries  # noqa: S311
    return backoff(retries), settings.task_max_retries


@shared_task(bind=True, name="postrun.process_event", acks_late=True, reject_on_worker_lost=True)
def process_event(self, event_id: int) -> str:  # type: ignore[no-untyped-def]
    deps = _deps()
    try:
        with log_context(task_id=self.request.id, event_id=int(event_id)):
            return handlers.process_event(deps, int(event_id))
    except (RateLimited, handlers.RetryLater, Unavailable, LockBusy) as error:
        countdown, limit = retry_plan(deps.settings, error, self.request.retries)
        counters = current_app.extensions["postrun.counters"]
        if self.request.retries >= limit:
            # Out of retries: park the event as failed with its error, then fail the task.
            handlers.park_event(deps, int(event_id), error)
            counters.add("task:failed")
            raise
        handlers.defer_event(deps, int(event_id), countdown)
        counters.add("task:deferred")
        raise self.retry(exc=error, countdown=countdown, max_retries=limit + 1) from error


@shared_task(name="postrun.sweep_events")
def sweep_events() -> int:
    """Re-enqueue events that were accepted but not finished (a lost enqueue or task)."""
    deps = _deps()
    ids = handlers.claim_stale_events(deps)
    for event_id in ids:
        deps.enqueue(event_id)
    return len(ids)


@shared_task(bind=True, name="postrun.backfill_athlete", acks_late=True, reject_on_worker_lost=True)
def backfill_athlete(self, athlete_id: int) -> int:  # type: ignore[no-untyped-def]
    """Import a newly connected athlete's last eight weeks of runs (service/backfill.py)."""
    from service import backfill

    deps = _deps()
    try:
        return backfill.backfill_athlete(deps, int(athlete_id))
    except (RateLimited, Unavailable) as error:
        countdown, limit = retry_plan(deps.settings, error, self.request.retries)
        if self.request.retries >= limit:
            backfill.mark_failed(deps, int(athlete_id))
            raise
        raise self.retry(exc=error, countdown=countdown, max_retries=limit + 1) from error


@shared_task(name="postrun.ensure_subscription")
def ensure_subscription() -> str:
    from service import maintenance

    return maintenance.ensure_subscription(_deps())


@shared_task(bind=True, name="postrun.reconcile", acks_late=True)
def reconcile(self) -> int:  # type: ignore[no-untyped-def]
    from service import maintenance

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
    from service import maintenance

    return maintenance.clean_up(_deps())
