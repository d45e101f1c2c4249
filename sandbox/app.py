"""The Flask app: Strava's API subset plus the sandbox's own /sandbox control endpoints."""

from __future__ import annotations

import re
import secrets
import time
from typing import Any
from urllib.parse import urlencode
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from flask import Flask
from flask import Response
from flask import g
from flask import jsonify
from flask import redirect
from flask import request
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from sandbox import payloads
from sandbox.config import SandboxConfig
from sandbox.state import SandboxState
from sandbox.state import StravaFault
from sandbox.state import fault
from sandbox.state import status_phrase

# Longest a client may block on GET /sandbox/webhooks?wait=1.
MAX_WAIT_S = 30.0

_RULE_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _route_key() -> str:
    """ "METHOD /route/template" with Strava's {id} placeholders, for /sandbox/stats."""
    rule = request.url_rule
    template = _RULE_VARIABLE.sub(r"{\1}", rule.rule) if rule is not None else "(unmatched)"
    return f"{request.method} {template}"


def _access_token() -> str | None:
    """The token from ``Authorization: Bearer`` (stravalib 2.6) or ``access_token`` (2.5)."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.values.get("access_token")


def _params() -> dict[str, Any]:
    """Form body and query string together; stravalib 2.5 and 2.6 use one or the other."""
    return request.values.to_dict()


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True) if request.is_json else None
    if body is None and request.data and request.is_json:
        raise StravaFault(400, fault("Bad Request", "Request", "body", "invalid JSON"))
    if body is not None and not isinstance(body, dict):
        raise StravaFault(400, fault("Bad Request", "Request", "body", "must be an object"))
    return body or {}


def create_app(config: SandboxConfig | None = None) -> Flask:
    """Build a sandbox app with fresh in-memory state.

    The state is ``app.extensions["strava_sandbox"]`` (a :class:`SandboxState`);
    :class:`sandbox.SandboxServer` uses it to wait for webhook deliveries and to stop.
    """
    state = SandboxState(config or SandboxConfig())
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep Strava's key order
    app.extensions["strava_sandbox"] = state

    # ---- the Strava front: stats, latency, rate limits, injected faults ----------------

    @app.before_request
    def strava_front() -> Any:
        path = request.path
        is_api = path.startswith("/api/v3/")
        if not (is_api or path.startswith("/oauth/")):
            return None
        state.record_call(_route_key())
        if state.config.latency_s > 0:
            time.sleep(state.config.latency_s)
        if is_api:
            usage, limited = state.count_request()
            g.rate_usage = usage
            if limited:
                return jsonify(payloads.template("error_429_rate-limit-exceeded.json")), 429
        status = state.pick_fault(request.method, path)
        if status is not None:
            body = fault(status_phrase(status), "Sandbox", "", "injected fault")
            return jsonify(body), status
        return None

    @app.after_request
    def rate_headers(response: Response) -> Response:
        usage = g.get("rate_usage")
        if usage is not None:
            response.headers.update(state.rate_headers(usage))
        return response

    @app.errorhandler(StravaFault)
    def strava_fault(error: StravaFault) -> Any:
        return jsonify(error.body), error.status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        status = error.code or 500
        if status == 404:
            body = fault("Record Not Found", "Resource", "path", "invalid")
        else:
            body = fault(status_phrase(status), "Request", "", error.name.lower())
        return jsonify(body), status

    # ---- OAuth ----------------------------------------------------------------------

    @app.post("/oauth/token")
    @app.post("/api/v3/oauth/token")
    def oauth_token() -> Any:
        return jsonify(state.token(_params()))

    @app.post("/oauth/deauthorize")
    @app.post("/api/v3/oauth/deauthorize")
    def oauth_deauthorize() -> Any:
        return jsonify(state.deauthorize(_access_token()))

    @app.route("/oauth/authorize", methods=["GET", "POST"])
    def oauth_authorize() -> Any:
        """Strava's consent page. With ``auto_approve`` it redirects at once.

        ``athlete_id`` (a sandbox extension) picks who is "logged in"; without it a new
        athlete signs up. The redirect carries ``code``, ``scope`` and ``state``, or
        ``error=access_denied`` when the athlete cancels.
        """
        params = _params()
        if str(params.get("client_id")) != str(state.config.client_id):
            raise StravaFault(400, payloads.template("error_400_oauth-invalid-client.json"))
        redirect_uri = params.get("redirect_uri") or ""
        if urlsplit(redirect_uri).scheme not in {"http", "https"}:
            raise StravaFault(400, fault("Bad Request", "Application", "redirect_uri", "invalid"))
        if params.get("response_type", "code") != "code":
            raise StravaFault(400, fault("Bad Request", "Application", "response_type", "invalid"))
        scope = params.get("scope") or "read,activity:read"
        answer = {"state": params["state"]} if params.get("state") else {}
        decision = params.get("decision")
        if decision is None and not state.config.auto_approve:
            return _consent_page(params)
        if decision == "deny":
            answer["error"] = "access_denied"
        else:
            athlete_id = params.get("athlete_id")
            if athlete_id and not str(athlete_id).isdigit():
                raise StravaFault(400, fault("Bad Request", "Athlete", "athlete_id", "invalid"))
            granted = state.authorize(int(athlete_id) if athlete_id else None, scope)
            answer.update(code=granted["code"], scope=scope)
        parts = urlsplit(redirect_uri)
        query = f"{parts.query}&{urlencode(answer)}" if parts.query else urlencode(answer)
        return redirect(urlunsplit(parts._replace(query=query)), code=302)

    # ---- Strava API -------------------------------------------------------------------

    @app.get("/api/v3/athlete")
    def get_athlete() -> Any:
        return jsonify(state.athlete_profile(state.authenticate(_access_token())))

    @app.get("/api/v3/activities/<int:id>")
    def get_activity(id: int) -> Any:  # Strava names it {id}
        athlete_id = state.authenticate(_access_token())
        return jsonify(state.api_get_activity(athlete_id, id))

    @app.put("/api/v3/activities/<int:id>")
    def put_activity(id: int) -> Any:
        athlete_id = state.authenticate(_access_token())
        body = _json_body() if request.is_json else request.form.to_dict()
        return jsonify(state.api_update_activity(athlete_id, id, body))

    @app.get("/api/v3/athlete/activities")
    def list_activities() -> Any:
        athlete_id = state.authenticate(_access_token())
        return jsonify(state.api_list_activities(athlete_id, request.args.to_dict()))

    @app.post("/api/v3/push_subscriptions")
    def create_subscription() -> Any:
        return jsonify(state.create_subscription(_params())), 201

    @app.get("/api/v3/push_subscriptions")
    def list_subscriptions() -> Any:
        return jsonify(state.list_subscriptions(_params()))

    @app.delete("/api/v3/push_subscriptions/<int:id>")
    def delete_subscription(id: int) -> Any:
        state.delete_subscription(id, _params())
        return Response(status=204)

    # ---- sandbox control (no auth, not rate counted) ------------------------------------

    @app.get("/sandbox/health")
    def health() -> Any:
        return jsonify({"ok": True})

    @app.post("/sandbox/reset")
    def reset() -> Any:
        state.reset()
        return jsonify({"ok": True})

    @app.post("/sandbox/athletes")
    def create_athlete() -> Any:
        return jsonify(state.create_athlete(_json_body())), 201

    @app.post("/sandbox/athletes/<int:athlete_id>/expire")
    def expire_athlete(athlete_id: int) -> Any:
        return jsonify(state.expire_athlete(athlete_id))

    @app.post("/sandbox/athletes/<int:athlete_id>/code")
    def new_code(athlete_id: int) -> Any:
        scope = _json_body().get("scope")
        return jsonify(state.authorize(athlete_id, scope)), 201

    @app.post("/sandbox/activities")
    def create_activity() -> Any:
        if "file" in request.files:
            upload = request.files["file"]
            form = request.form.to_dict()
            try:
                fields = payloads.activity_fields_from_gpx(upload.read(), upload.filename)
            except payloads.GpxError as error:
                raise StravaFault(400, fault("Bad Request", "Upload", "file", str(error))) from None
            fields["upload_id"] = secrets.randbits(40)
            fields["upload_id_str"] = str(fields["upload_id"])
            extra = {k: v for k, v in form.items() if k != "athlete_id" and v != ""}
            fields.update(extra)
            athlete_id = form.get("athlete_id")
        else:
            body = _json_body()
            athlete_id = body.get("athlete_id")
            fields = body.get("activity") or {}
            if not isinstance(fields, dict):
                raise StravaFault(400, fault("Bad Request", "Activity", "activity", "invalid"))
        try:
            owner = int(athlete_id)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise StravaFault(
                400, fault("Bad Request", "Athlete", "athlete_id", "missing")
            ) from None
        return jsonify(state.create_activity(owner, fields)), 201

    @app.get("/sandbox/activities")
    def stored_activities() -> Any:
        athlete_id = request.args.get("athlete_id", type=int)
        return jsonify(state.stored_activities(athlete_id))

    @app.get("/sandbox/activities/<int:activity_id>")
    def stored_activity(activity_id: int) -> Any:
        return jsonify(state.stored_activity(activity_id))

    @app.patch("/sandbox/activities/<int:activity_id>")
    def patch_activity(activity_id: int) -> Any:
        return jsonify(state.patch_activity(activity_id, _json_body()))

    @app.delete("/sandbox/activities/<int:activity_id>")
    def delete_activity(activity_id: int) -> Any:
        state.delete_activity(activity_id)
        return Response(status=204)

    @app.post("/sandbox/hooks")
    def add_hook() -> Any:
        return jsonify(state.add_hook(_json_body())), 201

    @app.get("/sandbox/faults")
    def get_faults() -> Any:
        return jsonify(state.faults())

    @app.post("/sandbox/faults")
    def set_faults() -> Any:
        return jsonify(state.set_faults(_json_body()))

    @app.get("/sandbox/stats")
    def stats() -> Any:
        return jsonify(state.stats_body())

    @app.post("/sandbox/stats/reset")
    def reset_stats() -> Any:
        state.reset_stats()
        return jsonify(state.stats_body())

    @app.get("/sandbox/webhooks")
    def webhooks() -> Any:
        """The delivery log; ``?wait=1[&timeout=S]`` first waits until nothing is pending."""
        idle = True
        if request.args.get("wait") not in (None, "", "0", "false"):
            timeout = min(MAX_WAIT_S, request.args.get("timeout", 10.0, type=float))
            idle = state.webhooks.wait_idle(timeout)
        return jsonify(
            {
                "idle": idle,
                "pending": state.webhooks.pending(),
                "deliveries": state.webhooks.deliveries(),
            }
        )

    return app


def _consent_page(params: dict[str, Any]) -> Response:
    """A minimal stand-in for Strava's "Authorize" page (used when auto_approve is off)."""
    hidden = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
        for k, v in params.items()
        if k != "decision"
    )
    html = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Authorize - Strava sandbox"
        "</title></head><body><h1>Authorize application</h1>"
        f"<p>Application {escape(params.get('client_id'))} asks for: "
        f"{escape(params.get('scope') or 'read,activity:read')}</p>"
        f"<form method='post' action='/oauth/authorize'>{hidden}"
        "<button name='decision' value='approve'>Authorize</button> "
        "<button name='decision' value='deny'>Cancel</button></form></body></html>"
    )
    return Response(html, mimetype="text/html")
