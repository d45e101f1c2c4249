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


@shared_task(bind=True, name="postrun.process_event", acks_late=True, reject_on_worker_lost=True)
def process_event(self, event_id: int) -> str:  # type: ignore[no-untyped-def]
    deps = _deps()
    try:
        return handlers.process_event(deps, int(event_id))
    except RateLimited as error:
        # Deferred to the next window rather than sleeping in the worker.
        raise self.retry(
            exc=error,
            countdown=min(MAX_COUNTDOWN_S, error.retry_after_s + random.uniform(0, 5)),  # noqa: S311
            max_retries=deps.settings.task_max_retries * 4,
        ) from error
    except Unavailable as error:
        raise self.retry(
            exc=error,
            countdown=backoff(self.request.retries),
            max_retries=deps.settings.task_max_retries,
        ) from error


@shared_task(name="postrun.sweep_events")
def sweep_events(older_than_s: float = 120.0) -> int:
    """Re-enqueue events that were accepted but not finished (a lost enqueue or task)."""
    deps = _deps()
    ids = handlers.pending_event_ids(deps, older_than_s)
    for event_id in ids:
        deps.enqueue(event_id)
    return len(ids)
