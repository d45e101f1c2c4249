"""Celery bound to the Flask app (the pattern of Flask's own Celery example)."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery import Task
from celery.signals import setup_logging
from celery.signals import worker_process_init
from celery.signals import worker_ready
from celery.signals import worker_shutdown
from flask import Flask

from service import logs
from service.pipeline import handlers
from service.pipeline.inbox import Entry
from service.pipeline.inbox import Ingestor


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

    @setup_logging.connect(weak=False)
    def _our_logging(**_kwargs: Any) -> None:
        # Connected, this stops Celery from installing its own handlers: its lines then
        # go through postrun's format (JSON in production) with the task's ids.
        logs.configure(
            os.environ.get("POSTRUN_LOG_FORMAT", "json"),
            os.environ.get("POSTRUN_LOG_LEVEL", "INFO"),
        )

    ingestors = []

    @worker_ready.connect(weak=False)
    def _start_ingest(**_kwargs: Any) -> None:
        # Every worker drains the webhook inbox (a consumer group shares the work).
        deps = app.extensions["postrun"]
        if deps.inbox is None:
            return

        from workers.tasks import enqueue_batch

        def store(entries: list[Entry]) -> None:
            batch = [(entry.event, entry.received_at) for entry in entries]
            ids = handlers.store_events(deps, batch)
            # After store_events committed; a few task messages for the whole batch.
            enqueue_batch(ids, countdown=deps.settings.processing_delay_s)

        ingestor = Ingestor(deps.inbox, store)
        ingestor.start()
        ingestors.append(ingestor)

    @worker_shutdown.connect(weak=False)
    def _stop_ingest(**_kwargs: Any) -> None:
        while ingestors:
            ingestors.pop().stop()

    @worker_process_init.connect(weak=False)
    def _fresh_connections(**_kwargs: Any) -> None:
        # A forked pool child must not reuse the parent's pooled connections
        # (SQLAlchemy: "Using Connection Pools with Multiprocessing").
        engine = app.extensions.get("postrun.engine")
        if engine is not None:
            engine.dispose(close=False)

    return celery_app
