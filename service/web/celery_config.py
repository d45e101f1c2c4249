"""Celery's settings and log format, apart from Flask.

``postrun beat`` (``workers/beat.py``) needs only these: the broker, the
schedule and the routes; it sends tasks by name and never builds the app, so
this module imports neither Flask nor the service (docs/operations.md#beat-jobs).
"""

from __future__ import annotations

import os
from typing import Any

from celery.signals import setup_logging

from service import logs
from service.config import Settings


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
