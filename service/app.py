"""The Flask application factory."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import redis
from flask import Flask

from service.config import Settings
from service.config import redis_client_url
from service.db import make_engine
from service.db import make_session_factory
from service.handlers import Deps
from service.strava import StravaGateway

log = logging.getLogger(__name__)

# How long a worker may hold a per-activity or per-athlete lock before Redis frees it.
LOCK_TIMEOUT_S = 120


def templates_dir() -> str:
    """Templates sit at the repository's top level; an installed wheel carries a copy."""
    packaged = Path(__file__).parent / "templates"
    if packaged.is_dir():
        return str(packaged)
    return str(Path(__file__).resolve().parent.parent / "templates")


def celery_config(settings: Settings) -> dict[str, Any]:
    return {
        "broker_url": settings.redis_url,
        "task_ignore_result": True,
        # A task is acknowledged only once it has finished; if its worker dies, Redis
        # hands it to another worker after the visibility timeout. Safe because every
        # task is idempotent (Celery's docs: acks_late only for idempotent tasks).
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_transport_options": {
            "visibility_timeout": 3600,
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
        },
        "broker_connection_retry_on_startup": True,
        "task_default_queue": "postrun",
        "include": ["workers.tasks"],
        "beat_schedule": {
            "sweep-events": {"task": "postrun.sweep_events", "schedule": 60.0},
        },
        "worker_hijack_root_logger": False,
    }


def create_app(settings: Settings | None = None) -> Flask:
    """Create and configure one postrun web/worker application."""
    settings = settings or Settings.from_env()
    app = Flask(__name__, template_folder=templates_dir())
    app.config.from_mapping(
        # Without SECRET_KEY (the webhook needs none) a random one still keeps sessions safe.
        SECRET_KEY=settings.secret_key or secrets.token_hex(32),
        CELERY=celery_config(settings),
    )
    engine = make_engine(settings.database_url)
    redis_client = redis.Redis.from_url(
        redis_client_url(settings.redis_url), socket_connect_timeout=2, socket_timeout=10
    )

    @contextlib.contextmanager
    def redis_lock(name: str) -> Iterator[None]:
        with redis_client.lock(f"postrun:lock:{name}", timeout=LOCK_TIMEOUT_S, blocking_timeout=60):
            yield

    from workers import celery_init_app
    from workers import tasks

    celery_init_app(app)

    def enqueue(event_id: int) -> None:
        try:
            tasks.process_event.apply_async((event_id,), retry=False)
        except Exception:
            # The event is already committed; the sweeper enqueues it again later.
            log.exception("could not enqueue event %s; it stays pending", event_id)

    app.extensions["postrun"] = Deps(
        settings=settings,
        session_factory=make_session_factory(engine),
        strava=StravaGateway(
            settings.strava_client_id, settings.strava_client_secret, settings.strava_base_url
        ),
        lock=redis_lock,
        enqueue=enqueue,
    )
    app.extensions["postrun.engine"] = engine
    app.extensions["postrun.redis"] = redis_client

    from service.views import pages
    from service.views import webhook

    app.register_blueprint(webhook.bp)
    app.register_blueprint(pages.bp)
    if os.environ.get("POSTRUN_LOG_LEVEL"):
        logging.basicConfig(level=os.environ["POSTRUN_LOG_LEVEL"].upper())
    return app
