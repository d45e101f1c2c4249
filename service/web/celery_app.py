"""Celery bound to the Flask app (the pattern of Flask's own Celery example).

The service names tasks only by their names ("postrun.process_event"); the task
bodies live in ``workers.tasks``, which the worker process imports
(``workers.make_celery``). So the service never imports ``workers``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import Celery
from celery import Task
from celery.signals import worker_process_init
from flask import Flask

from service.web.celery_config import use_postrun_logs

log = logging.getLogger(__name__)

PROCESS_EVENT = "postrun.process_event"
PROCESS_EVENTS = "postrun.process_events"
BACKFILL_ATHLETE = "postrun.backfill_athlete"


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app for ``app``: every task runs inside its app context."""

    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    app.extensions["celery"] = celery_app

    use_postrun_logs()

    @worker_process_init.connect(weak=False)
    def _fresh_connections(**_kwargs: Any) -> None:
        # A forked pool child must not reuse the parent's pooled connections
        # (SQLAlchemy: "Using Connection Pools with Multiprocessing").
        engine = app.extensions.get("postrun.engine")
        if engine is not None:
            engine.dispose(close=False)

    return celery_app


def enqueuers(
    celery: Celery, processing_delay_s: float
) -> tuple[Callable[[int], None], Callable[[int], None]]:
    """The two hand-offs ``Deps`` takes: an accepted event, and a new athlete's backfill."""

    def enqueue(event_id: int) -> None:
        try:
            # The delay leaves the athlete time for the edits they make right after an upload.
            celery.send_task(PROCESS_EVENT, (event_id,), countdown=processing_delay_s, retry=False)
        except Exception:
            # The event is already committed; the sweeper enqueues it again later.
            log.exception("could not enqueue event %s; it stays pending", event_id)

    def enqueue_backfill(athlete_id: int) -> None:
        try:
            celery.send_task(BACKFILL_ATHLETE, (athlete_id,), retry=False)
        except Exception:
            # The athlete is connected with the import pending; the sweeper enqueues it
            # again (docs/operations.md#what-survives-a-crash).
            log.exception("could not enqueue the backfill of athlete %s", athlete_id)

    return enqueue, enqueue_backfill
