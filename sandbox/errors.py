"""Strava's error answers: a ``Fault`` body (message plus errors) and its HTTP status.

The body's shape is the ``Fault`` model of Strava's API reference,
https://developers.strava.com/docs/reference/#api-models-Fault.
"""

from __future__ import annotations

import http
from typing import Any


def fault(message: str, resource: str, field_name: str, code: str) -> dict[str, Any]:
    """Strava's Fault body: a message and a list of {resource, field, code} errors."""
    return {
        "message": message,
        "errors": [{"resource": resource, "field": field_name, "code": code}],
    }


def bad_request(resource: str, field_name: str, code: str) -> StravaFault:
    """A 400 with Strava's "Bad Request" body, ready to raise."""
    return StravaFault(400, fault("Bad Request", resource, field_name, code))


def not_found(resource: str) -> StravaFault:
    """A 404 for an unknown id of ``resource``, ready to raise."""
    return StravaFault(404, fault("Record Not Found", resource, "id", "invalid"))


def status_phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


AUTH_ERROR = fault("Authorization Error", "Athlete", "access_token", "invalid")


class StravaFault(Exception):
    """An error answer: HTTP status plus a JSON body."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
