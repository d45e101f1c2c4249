"""What a view reads from the running app: the ``Deps`` and the upload limits."""

from __future__ import annotations

from flask import current_app

from service.files import Limits
from service.pipeline.deps import Deps


def deps() -> Deps:
    return current_app.extensions["postrun"]


def upload_limits() -> Limits:
    configured = current_app.config.get("POSTRUN_UPLOAD_LIMITS")
    return configured if isinstance(configured, Limits) else Limits()
