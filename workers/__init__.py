"""Celery bound to the Flask app (the pattern of Flask's own Celery example)."""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery import Task
from celery.signals import worker_process_init
from flask import Flask


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

    @worker_process_init.connect(weak=False)
    def _fresh_connections(**_kwargs: Any) -> None:
        # A forked pool child must not reuse the parent's pooled connections
        # (SQLAlchemy: "Using Connection Pools with Multiprocessing").
        engine = app.extensions.get("postrun.engine")
        if engine is not None:
            engine.dispose(close=False)

    return celery_app
