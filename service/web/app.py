"""The Flask application factory."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from pathlib import Path

import redis
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from service import logs
from service.config import ConfigError
from service.config import Settings
from service.config import redis_client_url
from service.files import Limits
from service.pipeline.deps import Deps
from service.pipeline.inbox import Inbox
from service.pipeline.inbox import fast_client
from service.storage import crypto
from service.storage.counters import Counters
from service.storage.crypto import TokenCipher
from service.storage.db import make_engine
from service.storage.db import make_session_factory
from service.strava.budget import RateBudget
from service.strava.gateway import StravaGateway
from service.strava.locks import redis_lock
from service.web import account
from service.web import errors
from service.web import pages
from service.web import security
from service.web import throttle
from service.web import uploads
from service.web import webhook
from service.web.celery_app import celery_init_app
from service.web.celery_app import enqueuers
from service.web.celery_config import celery_config

log = logging.getLogger(__name__)


def templates_dir() -> str:
    """Templates sit at the repository's top level; an installed wheel carries a copy."""
    packaged = Path(__file__).resolve().parent.parent / "templates"
    if packaged.is_dir():
        return str(packaged)
    return str(Path(__file__).resolve().parents[2] / "templates")


def create_app(settings: Settings | None = None, *, worker: bool = False) -> Flask:
    """Create and configure one postrun web/worker application."""
    settings = settings or Settings.from_env()
    if not settings.secret_key and not settings.embedded:
        raise ConfigError("SECRET_KEY must be set: it signs the sessions of signed-in athletes")
    if not settings.token_key:
        raise ConfigError("POSTRUN_TOKEN_KEY must be set: it encrypts Strava tokens at rest")
    app = Flask(__name__, template_folder=templates_dir())
    if settings.proxy_hops:
        # The webhook limits refused requests per client address: it must see the
        # client, not the proxy.
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
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

    celery = celery_init_app(app)
    enqueue, enqueue_backfill = enqueuers(celery, settings.processing_delay_s)
    app.extensions["postrun"] = Deps(
        settings=settings,
        session_factory=make_session_factory(engine),
        strava=StravaGateway(
            settings.strava_client_id,
            settings.strava_client_secret,
            settings.strava_base_url,
            budget=RateBudget(
                redis_client, window_s=settings.rate_window_s, day_s=settings.rate_day_s
            ),
            window_s=settings.rate_window_s,
            counters=counters,
            athlete_calls_per_window=settings.athlete_calls_per_window,
        ),
        lock=lock,
        inbox=Inbox(fast_client(redis_client_url(settings.redis_url))),
        enqueue=enqueue,
        enqueue_backfill=enqueue_backfill,
    )
    app.extensions["postrun.engine"] = engine
    app.extensions["postrun.redis"] = redis_client
    app.extensions["postrun.counters"] = counters

    app.register_blueprint(webhook.bp)
    app.register_blueprint(pages.bp)
    # The account blueprint carries the settings page's routes too (service.web.settings).
    app.register_blueprint(account.bp)
    app.register_blueprint(uploads.bp)
    security.init_app(app, settings, exempt=[webhook.bp])
    throttle.init_app(
        app,
        settings.uploads_per_process,
        max_body_bytes=settings.upload_request_max_mb * 1024 * 1024 + uploads.MULTIPART_OVERHEAD,
    )
    errors.init_app(app)
    # The CLI's serve, worker and beat ask for logs (JSON unless told otherwise);
    # an app built by tests or other code leaves logging as it found it.
    if os.environ.get("POSTRUN_LOG_FORMAT"):
        logs.configure(
            os.environ["POSTRUN_LOG_FORMAT"], os.environ.get("POSTRUN_LOG_LEVEL", "INFO")
        )
    return app
