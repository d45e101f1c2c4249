"""The Flask application factory."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from pathlib import Path
from typing import Any

import redis
from flask import Flask

from service import logs
from service.config import ConfigError
from service.config import Settings
from service.config import redis_client_url
from service.files import Limits
from service.ops.metrics import Counters
from service.pipeline.handlers import Deps
from service.pipeline.inbox import Inbox
from service.pipeline.inbox import fast_client
from service.storage import crypto
from service.storage.crypto import TokenCipher
from service.storage.db import make_engine
from service.storage.db import make_session_factory
from service.strava.budget import RateBudget
from service.strava.gateway import StravaGateway
from service.strava.locks import redis_lock

log = logging.getLogger(__name__)


def templates_dir() -> str:
    """Templates sit at the repository's top level; an installed wheel carries a copy."""
    packaged = Path(__file__).resolve().parent.parent / "templates"
    if packaged.is_dir():
        return str(packaged)
    return str(Path(__file__).resolve().parents[2] / "templates")


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
        "include": ["workers.tasks"],
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


def create_app(settings: Settings | None = None, *, worker: bool = False) -> Flask:
    """Create and configure one postrun web/worker application."""
    settings = settings or Settings.from_env()
    if not settings.secret_key and not settings.embedded:
        raise ConfigError("SECRET_KEY must be set: it signs the sessions of signed-in athletes")
    if not settings.token_key:
        raise ConfigError("POSTRUN_TOKEN_KEY must be set: it encrypts Strava tokens at rest")
    app = Flask(__name__, template_folder=templates_dir())
    app.config.from_mapping(
        # Only the embedded default may run without SECRET_KEY: a random one per process.
        SECRET_KEY=settings.secret_key or secrets.token_hex(32),
        CELERY=celery_config(settings, worker),
        POSTRUN_UPLOAD_LIMITS=Limits(
            max_bytes=settings.upload_max_mb * 1024 * 1024,
            max_request_bytes=settings.upload_request_max_mb * 1024 * 1024,
        ),
    )
    engine = crypto.attach(make_engine(settings.database_url), TokenCipher(settings.token_key))
    redis_client = redis.Redis.from_url(
        redis_client_url(settings.redis_url), socket_connect_timeout=2, socket_timeout=10
    )

    counters = Counters(redis_client)

    def lock(name: str) -> contextlib.AbstractContextManager[None]:
        return redis_lock(redis_client, name)

    from workers import celery_init_app
    from workers import tasks

    celery_init_app(app)

    def enqueue(event_id: int) -> None:
        try:
            # The delay leaves the athlete time for the edits they make right after an upload.
            tasks.process_event.apply_async(
                (event_id,), countdown=settings.processing_delay_s, retry=False
            )
        except Exception:
            # The event is already committed; the sweeper enqueues it again later.
            log.exception("could not enqueue event %s; it stays pending", event_id)

    def enqueue_backfill(athlete_id: int) -> None:
        try:
            tasks.backfill_athlete.apply_async((athlete_id,), retry=False)
        except Exception:
            # The athlete is connected; their history fills up from new runs instead.
            log.exception("could not enqueue the backfill of athlete %s", athlete_id)

    app.extensions["postrun"] = Deps(
        settings=settings,
        session_factory=make_session_factory(engine),
        strava=StravaGateway(
            settings.strava_client_id,
            settings.strava_client_secret,
            settings.strava_base_url,
            budget=RateBudget(redis_client, window_s=settings.rate_window_s),
            window_s=settings.rate_window_s,
            counters=counters,
        ),
        lock=lock,
        inbox=Inbox(fast_client(redis_client_url(settings.redis_url))),
        enqueue=enqueue,
        enqueue_backfill=enqueue_backfill,
    )
    app.extensions["postrun.engine"] = engine
    app.extensions["postrun.redis"] = redis_client
    app.extensions["postrun.counters"] = counters

    from service.web import pages
    from service.web import webhook

    app.register_blueprint(webhook.bp)
    app.register_blueprint(pages.bp)
    from service.web import account
    from service.web import security
    from service.web import uploads

    app.register_blueprint(account.bp)
    app.register_blueprint(uploads.bp)
    security.init_app(app, exempt=[webhook.bp])
    # The CLI's serve, worker and beat ask for logs (JSON unless told otherwise);
    # an app built by tests or other code leaves logging as it found it.
    if os.environ.get("POSTRUN_LOG_FORMAT"):
        logs.configure(
            os.environ["POSTRUN_LOG_FORMAT"], os.environ.get("POSTRUN_LOG_LEVEL", "INFO")
        )
    return app
