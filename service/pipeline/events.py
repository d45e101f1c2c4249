"""Strava webhook events: strict parsing of the POST body.

Strava's event fields are documented in strava-api.md §1.4. Real senders differ
in small ways (ids as strings in some libraries' fixtures, ``updates`` missing on
deletes), so ids are accepted as integers or digit strings; everything else that
does not fit is refused with the field named.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

MAX_ID = 2**63 - 1
MAX_UPDATE_KEYS = 16
MAX_TEXT = 255

KNOWN_OBJECT_TYPES = frozenset({"activity", "athlete"})
KNOWN_ASPECT_TYPES = frozenset({"create", "update", "delete"})


class EventError(ValueError):
    """The body is not a Strava event; the message names the field."""


@dataclasses.dataclass(frozen=True, slots=True)
class WebhookEvent:
    object_type: str
    object_id: int
    aspect_type: str
    owner_id: int
    subscription_id: int
    event_time: int
    updates: dict[str, Any]

    def dedupe_key(self) -> str:
        """A digest that is the same for every delivery of the same event."""
        canonical = json.dumps(dataclasses.asdict(self), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def _identifier(body: dict[str, Any], field: str) -> int:
    if field not in body:
        raise EventError(f"{field}: missing")
    value = body[field]
    if isinstance(value, bool):
        raise EventError(f"{field}: must be a positive integer")
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.isdigit():
            raise EventError(f"{field}: must be a positive integer")
        value = int(text)
    if not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise EventError(f"{field}: must be a positive integer")
    return value


def _word(body: dict[str, Any], field: str) -> str:
    if field not in body:
        raise EventError(f"{field}: missing")
    value = body[field]
    if not isinstance(value, str) or not value.strip() or len(value) > 32:
        raise EventError(f"{field}: must be a short string")
    return value.strip()


def _updates(body: dict[str, Any]) -> dict[str, Any]:
    value = body.get("updates")
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_UPDATE_KEYS:
        raise EventError("updates: must be an object of a few fields")
    for key, item in value.items():
        if len(key) > 64:
            raise EventError("updates: field names must be short")
        if isinstance(item, dict | list) or (isinstance(item, str) and len(item) > MAX_TEXT):
            raise EventError(f"updates.{key}: must be a short plain value")
    return dict(value)


def parse_event(raw: bytes) -> WebhookEvent:
    """Parse and validate one webhook POST body."""
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise EventError("body: not valid JSON") from None
    if not isinstance(body, dict):
        raise EventError("body: must be a JSON object")
    return WebhookEvent(
        object_type=_word(body, "object_type"),
        object_id=_identifier(body, "object_id"),
        aspect_type=_word(body, "aspect_type"),
        owner_id=_identifier(body, "owner_id"),
        subscription_id=_identifier(body, "subscription_id"),
        event_time=_identifier(body, "event_time"),
        updates=_updates(body),
    )
