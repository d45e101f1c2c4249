"""Celery bound to the Flask app (the pattern of Flask's own Celery example).

The service names tasks only by their names ("postrun.process_event"); the task
bodies live in ``workers.tasks``, which the worker process imports
(``workers.make_celery``). So the service never imports ``workers``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from celery import Celery
from celery import Task
from celery.signals import setup_logging
from celery.signals import worker_process_init
from flask import Flask

from service import logs
from service.config import Settings

log = logging.getLogger(__name__)

PROCESS_EVENT = "postrun.process_event"
PROCESS_EVENTS = "postrun.process_events"
BACKFILL_ATHLETE = "postrun.backfill_athlete"


def celery_config(settings: Settings, worker: bool = False) -> dict[str, Any]:
    config: dict[str, Any] = {
        "broker_url": settings.redis_url,
        "task_ignore_result": True,
        # A task is acknowledged only once it has finished; if its worker dies, Redis
        # hands it to another worker after the visibility timeout. Safe because every
        # task is idempotent (Celery's docs: acks_late only for idempotent tasks).
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        # A reserved but unacknowledged task (one waiting for its countdown, or one whose
        # worker died) is delivered again after this long. It must outlast the longest
        # retry countdown (15 min, one Strava rate window) plus a task's own run time.
        "broker_transport_options": {
            "visibility_timeout": 30 * 60,
            # Workers read the queues in the order given (postrun, then postrun-low),
            # so fresh runs always go before backfills.
            "queue_order_strategy": "priority",
            "socket_connect_timeout": 1,
            "socket_timeout": 5,
        },
        "broker_connection_retry_on_startup": True,
        "task_default_queue": "postrun",
        "task_routes": {
            "postrun.backfill*": {"queue": "postrun-low"},
            "postrun.reconcile": {"queue": "postrun-low"},
            "postrun.clean_up": {"queue": "postrun-low"},
        },
        "beat_schedule": {
            "sweep-events": {
                "task": "postrun.sweep_events",
                "schedule": float(settings.sweep_interval_s),
            },
            "ensure-subscription": {"task": "postrun.ensure_subscription", "schedule": 3600.0},
            "reconcile": {"task": "postrun.reconcile", "schedule": 86400.0},
            "clean-up": {"task": "postrun.clean_up", "schedule": 86400.0},
        },
        "worker_hijack_root_logger": False,
    }
    if not worker:
        # A web process must not hold Strava's request while the broker is down: give up
        # on a publish within about a second (the event is already stored, and the
        # sweeper enqueues it later). Workers keep Celery's patient reconnection.
        config["broker_transport_options"].update(
            max_retries=1, interval_start=0, interval_step=0.2, interval_max=0.5
        )
        config["broker_connection_timeout"] = 1
    return config


def use_postrun_logs() -> None:
    """Celery's processes log in postrun's format (JSON in production), with the task's ids."""

    @setup_logging.connect(weak=False)
    def _our_logging(**_kwargs: Any) -> None:
        # Connected, this stops Celery from installing its own handlers.
        logs.configure(
            os.environ.get("POSTRUN_LOG_FORMAT", "json"),
            os.environ.get("POSTRUN_LOG_LEVEL", "INFO"),
        )


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
            # The athlete is connected; their history fills up from new runs instead.
            log.exception("could not enqueue the backfill of athlete %s", athlete_id)

    return enqueue, enqueue_backfill
