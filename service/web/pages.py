"""The landing page and the health check."""

from __future__ import annotations

import hmac

import sqlalchemy as sa
from flask import Blueprint
from flask import current_app
from flask import render_template
from flask import request
from prometheus_client import CONTENT_TYPE_LATEST

from service.ops.metrics import render
from service.storage.models import Activity

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> str:
    deps = current_app.extensions["postrun"]
    with deps.session_factory() as session:
        # How many athletes are connected is nobody else's business: not on the public page.
        annotated = (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(Activity)
                .where(Activity.status == "annotated")
            )
            or 0
        )
    return render_template("index.html", annotated=annotated)


@bp.get("/ping")
def ping() -> tuple[str, int, dict[str, str]]:
    """Liveness only: the process answers. The benchmark's baseline for the webhook."""
    return "ok", 200, {"Content-Type": "text/plain"}


def metrics_allowed(token: str | None, authorization: str) -> bool:
    """Whether a scrape may read /metrics: always without a token, else with its bearer."""
    if not token:
        return True
    # Compared in constant time, so the answer's timing tells nothing about the token.
    return hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode())


@bp.get("/metrics")
def metrics() -> tuple[bytes, int, dict[str, str]]:
    """Prometheus text format. Keep it off the public internet (compose binds loopback),
    or set POSTRUN_METRICS_TOKEN (docs/operations.md#health-checks-metrics-and-logs)."""
    deps = current_app.extensions["postrun"]
    if not metrics_allowed(deps.settings.metrics_token, request.headers.get("Authorization", "")):
        return b"unauthorized\n", 401, {"Content-Type": "text/plain", "WWW-Authenticate": "Bearer"}
    body = render(deps.session_factory, current_app.extensions["postrun.redis"], deps.strava.budget)
    return body, 200, {"Content-Type": CONTENT_TYPE_LATEST}


@bp.get("/up")
def up() -> tuple[dict[str, str], int]:
    """200 when the database and Redis both answer, 503 otherwise."""
    checks = {}
    try:
        with current_app.extensions["postrun.engine"].connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # a health check reports, it does not raise
        checks["database"] = f"error: {type(error).__name__}"
    try:
        current_app.extensions["postrun.redis"].ping()
        checks["redis"] = "ok"
    except Exception as error:
        checks["redis"] = f"error: {type(error).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return checks, 200 if healthy else 503
