"""What every blueprint needs from a request: the state, the token, the parameters."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask import request

from sandbox.errors import bad_request
from sandbox.state import SandboxState

# The key of the live state in ``app.extensions``.
EXTENSION = "strava_sandbox"


def sandbox_state() -> SandboxState:
    """The state of the app serving this request."""
    state: SandboxState = current_app.extensions[EXTENSION]
    return state


def access_token() -> str | None:
    """The token from ``Authorization: Bearer`` (stravalib 2.6) or ``access_token`` (2.5)."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.values.get("access_token")


def params() -> dict[str, Any]:
    """Form body and query string together; stravalib 2.5 and 2.6 use one or the other."""
    return request.values.to_dict()


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True) if request.is_json else None
    if body is None and request.data and request.is_json:
        raise bad_request("Request", "body", "invalid JSON")
    if body is not None and not isinstance(body, dict):
        raise bad_request("Request", "body", "must be an object")
    return body or {}
