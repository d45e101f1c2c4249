"""Strava's webhook: the subscription handshake (GET) and events (POST).

Strava wants a 200 within two seconds and retries up to three times otherwise
(docs/sources.md#webhook-delivery-and-retries), so the POST only validates and makes
the event durable (see ``service.pipeline.inbox``); workers do the rest.
"""

from __future__ import annotations

import hmac

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import request

from service.pipeline.deps import Deps
from service.pipeline.errors import NotOurSubscription
from service.pipeline.events import EventError
from service.pipeline.events import parse_event
from service.pipeline.inbox import SenderBlocked
from service.pipeline.intake import receive_event
from service.pipeline.intake import refuse_sender

bp = Blueprint("webhook", __name__)
# The answer to every accepted event, built once: this path is measured against a
# bare endpoint (bench/), and Strava only looks at the status.
ACCEPTED_BODY = b'{"ok":true}'


def _accepted() -> Response:
    return Response(ACCEPTED_BODY, status=200, mimetype="application/json")


def _deps() -> Deps:
    return current_app.extensions["postrun"]


def _error(message: str, status: int) -> tuple[dict[str, str], int]:
    return {"error": message}, status


@bp.get("/webhooks/strava")
def handshake() -> tuple[dict[str, str], int]:
    if request.args.get("hub.mode") != "subscribe":
        return _error("hub.mode must be subscribe", 400)
    challenge = request.args.get("hub.challenge")
    if not challenge:
        return _error("hub.challenge is missing", 400)
    expected = _deps().settings.strava_verify_token
    given = request.args.get("hub.verify_token", "")
    # Compared in constant time, and never with stravalib's assert (it vanishes
    # under python -O; docs/sources.md#verify-token-check).
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return _error("hub.verify_token does not match", 403)
    return {"hub.challenge": challenge}, 200


@bp.post("/webhooks/strava")
def receive() -> Response | tuple[dict[str, str], int]:
    deps = _deps()
    sender = request.remote_addr or "unknown"
    limit = deps.settings.webhook_max_bytes
    if request.content_length is not None and request.content_length > limit:
        return _refused(deps, sender, f"body: larger than {limit} bytes", 413)
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        return _refused(deps, sender, f"body: larger than {limit} bytes", 413)
    try:
        event = parse_event(raw)
        receive_event(deps, event, sender)
    except EventError as error:
        return _refused(deps, sender, str(error), 400)
    except NotOurSubscription:
        # The same answer as any malformed body: a guess learns nothing from its status.
        return _refused(deps, sender, "subscription_id: not accepted", 400)
    except SenderBlocked:
        return _error(TURNED_AWAY, 429)
    return _accepted()


TURNED_AWAY = "too many refused requests from this address; try again later"


def _refused(deps: Deps, sender: str, message: str, status: int) -> tuple[dict[str, str], int]:
    if refuse_sender(deps, sender):
        return _error(TURNED_AWAY, 429)
    return _error(message, status)
