"""Strava webhook events: strict parsing of the POST body.

Strava's event fields are documented in docs/sources.md#webhook-event-fields. Real senders differ
in small ways (ids as strings in some libraries' fixtures, ``updates`` missing on
deletes), so ids are accepted as integers or digit strings; everything else that
does not fit is refused with the field named.

The schema is strict because whatever passes here is written to Redis and then to
the database by a worker that cannot ask the sender again: only the object and
aspect types Strava sends, integers within a signed 64-bit column, strings that
encode to UTF-8 without NUL (a lone surrogate or a NUL breaks the database
insert), finite numbers only, and no nesting beyond what an event has. A body
that breaks any rule is a 400, never a 500 and never an inbox entry
(docs/sources.md#the-webhooks-door).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from typing import Any

MAX_ID = 2**63 - 1
MAX_UPDATE_KEYS = 16
MAX_TEXT = 255

OBJECT_TYPES = frozenset({"activity", "athlete"})
ASPECT_TYPES = frozenset({"create", "update", "delete"})
# The longest integer literal the parser turns into a number: 2**63 has 19 digits.
# Longer ones are refused before Python converts them (a 5,000-digit literal raises
# ValueError in int(); a million digits would take seconds).
MAX_DIGITS = 20
# An event is two levels deep (the body, then ``updates``).
MAX_DEPTH = 4


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
        if not text.isascii() or not text.isdigit() or len(text) > MAX_DIGITS:
            raise EventError(f"{field}: must be a positive integer")
        value = int(text)
    if not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise EventError(f"{field}: must be a positive integer")
    return value


def _word(body: dict[str, Any], field: str, allowed: frozenset[str]) -> str:
    if field not in body:
        raise EventError(f"{field}: missing")
    value = body[field]
    if not isinstance(value, str) or value.strip() not in allowed:
        raise EventError(f"{field}: must be one of {', '.join(sorted(allowed))}")
    return value.strip()


def storable_text(text: str) -> bool:
    """Whether ``text`` survives every store on the way: strict UTF-8, no NUL."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, from a "\ud800" escape
        return False
    return True


def storable(value: Any) -> Any:
    """``value`` with every string made storable: bad code points and NUL escaped.

    Text that is already storable comes back unchanged, so a parked event that was
    only a victim of its batch keeps its exact fields.
    """
    if isinstance(value, str):
        if storable_text(value):
            return value
        escaped = value.encode("utf-8", "backslashreplace").decode("utf-8")
        return escaped.replace("\x00", "\\x00")
    if isinstance(value, dict):
        return {storable(str(key)): storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [storable(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _plain_value(item: object) -> bool:
    if item is None or isinstance(item, bool):
        return True
    if isinstance(item, int):
        return abs(item) <= MAX_ID
    if isinstance(item, float):
        return math.isfinite(item)
    return isinstance(item, str) and len(item) <= MAX_TEXT and storable_text(item)


def _updates(body: dict[str, Any]) -> dict[str, Any]:
    value = body.get("updates")
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_UPDATE_KEYS:
        raise EventError("updates: must be an object of a few fields")
    for key, item in value.items():
        if len(key) > 64 or not storable_text(key):
            raise EventError("updates: field names must be short plain text")
        if not _plain_value(item):
            raise EventError(f"updates.{key}: must be a short plain value")
    return dict(value)


def _refuse_constant(name: str) -> float:
    raise EventError(f"body: {name} is not a number JSON allows")


def _bounded_int(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_DIGITS:
        raise EventError("body: a number is too long")
    return int(literal)


def _too_deep(raw: bytes) -> bool:
    """Whether arrays and objects nest deeper than ``MAX_DEPTH`` anywhere in ``raw``.

    Counting brackets costs next to nothing and settles almost every body; only a body
    with many brackets (in strings, perhaps) is walked byte by byte. The JSON parser
    itself would recurse once per level and fail, depending on the stack it starts on.
    """
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return False
    depth, in_string, escaped = 0, False, False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def parse_event(raw: bytes) -> WebhookEvent:
    """Parse and validate one webhook POST body."""
    if _too_deep(raw):
        raise EventError("body: nested too deeply")
    try:
        body = json.loads(raw, parse_constant=_refuse_constant, parse_int=_bounded_int)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise EventError("body: not valid JSON") from None
    except RecursionError:  # not reached after _too_deep; kept as a last line
        raise EventError("body: nested too deeply") from None
    if not isinstance(body, dict):
        raise EventError("body: must be a JSON object")
    return WebhookEvent(
        object_type=_word(body, "object_type", OBJECT_TYPES),
        object_id=_identifier(body, "object_id"),
        aspect_type=_word(body, "aspect_type", ASPECT_TYPES),
        owner_id=_identifier(body, "owner_id"),
        subscription_id=_identifier(body, "subscription_id"),
        event_time=_identifier(body, "event_time"),
        updates=_updates(body),
    )
