"""The Flask app: Strava's API subset, its consent and home pages, and the control API.

Each blueprint lives in :mod:`sandbox.views`; this module builds the app, puts a fresh
:class:`SandboxState` in ``app.extensions`` and adds what every Strava call goes through:
call counts, latency, rate limits with their headers, and injected faults.
"""

from __future__ import annotations

import re
import time
from typing import Any

from flask import Flask
from flask import Response
from flask import g
from flask import jsonify
from flask import request
from werkzeug.exceptions import HTTPException

from sandbox import payloads
from sandbox.config import SandboxConfig
from sandbox.errors import StravaFault
from sandbox.errors import fault
from sandbox.errors import status_phrase
from sandbox.state import SandboxState
from sandbox.views import api
from sandbox.views import control
from sandbox.views import front
from sandbox.views import oauth
from sandbox.views.common import EXTENSION
from sandbox.views.common import sandbox_state

_RULE_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _route_key() -> str:
    """ "METHOD /route/template" with Strava's {id} placeholders, for /sandbox/stats."""
    rule = request.url_rule
    template = _RULE_VARIABLE.sub(r"{\1}", rule.rule) if rule is not None else "(unmatched)"
    return f"{request.method} {template}"


def strava_gate() -> Any:
    """Before any Strava call (``/api/v3/...``, ``/oauth/...``), matched or not.

    It counts the call, waits the injected latency, answers 429 over the rate limits
    (https://developers.strava.com/docs/rate-limits/) and answers an injected fault.
    """
    path = request.path
    is_api = path.startswith("/api/v3/")
    if not (is_api or path.startswith("/oauth/")):
        return None
    state = sandbox_state()
    state.traffic.record_call(_route_key())
    if state.config.latency_s > 0:
        time.sleep(state.config.latency_s)
    if is_api:
        usage, limited = state.traffic.count_request()
        g.rate_usage = usage
        if limited:
            return jsonify(payloads.template("error_429_rate-limit-exceeded.json")), 429
    status = state.faults.pick(request.method, path)
    if status is not None:
        return jsonify(fault(status_phrase(status), "Sandbox", "", "injected fault")), status
    return None


def rate_headers(response: Response) -> Response:
    """Strava's rate-limit headers on every counted API answer, errors included."""
    usage = g.get("rate_usage")
    if usage is not None:
        response.headers.update(sandbox_state().traffic.rate_headers(usage))
    return response


def strava_fault(error: StravaFault) -> Any:
    return jsonify(error.body), error.status


def http_error(error: HTTPException) -> Any:
    """Strava's JSON Fault for werkzeug's errors (unknown path, wrong method)."""
    status = error.code or 500
    if status == 404:
        body = fault("Record Not Found", "Resource", "path", "invalid")
    else:
        body = fault(status_phrase(status), "Request", "", error.name.lower())
    return jsonify(body), status


def create_app(config: SandboxConfig | None = None) -> Flask:
    """Build a sandbox app with fresh in-memory state.

    The state is ``app.extensions["strava_sandbox"]`` (a :class:`SandboxState`);
    :class:`sandbox.SandboxServer` uses it to wait for webhook deliveries and to stop.
    """
    app = Flask(__name__, static_folder=None)  # the pages carry their own small style
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep Strava's key order
    app.extensions[EXTENSION] = SandboxState(config or SandboxConfig())
    app.before_request(strava_gate)
    app.after_request(rate_headers)
    app.register_error_handler(StravaFault, strava_fault)
    app.register_error_handler(HTTPException, http_error)
    for blueprint in (front.bp, oauth.bp, api.bp, control.bp):
        app.register_blueprint(blueprint)
    return app
