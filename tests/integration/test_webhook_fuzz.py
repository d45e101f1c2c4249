"""Ten thousand hostile bodies at the webhook: no 5xx, and whatever it accepts drains.

The bodies are generated from a fixed seed, so a failure names a body that can be
replayed. They mix Strava's own event shape with the shapes that broke earlier
releases: lone surrogates, NUL, NaN and Infinity, integers of thousands of digits,
nesting hundreds deep, unknown object and aspect types, broken UTF-8 and JSON.
"""

from __future__ import annotations

import dataclasses
import json
import random

import pytest
import sqlalchemy as sa

from service.pipeline.ingestor import Ingestor
from service.pipeline.intake import store_events
from service.storage.models import Event
from service.web.app import create_app
from tests.conftest import SUBSCRIPTION_ID

URL = "/webhooks/strava"
BODIES = 10_000
SEED = 20261202

HOSTILE_VALUES = [
    '"\\ud800"',
    '"\\udfff\\ud800"',
    '"a\\u0000b"',
    '"\\u0000"',
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "-1e400",
    "9" * 5000,
    "-" + "9" * 4400,
    str(2**63),
    str(2**64),
    "0",
    "-1",
    "1.5",
    "true",
    "null",
    "[]",
    "{}",
    '"' + "x" * 300 + '"',
    '"\u202e\u0007\u001b[31m"',
    "[" * 900 + "]" * 900,
    '{"a":' * 300 + "1" + "}" * 300,
]
FIELDS = ["object_type", "object_id", "aspect_type", "owner_id", "subscription_id", "event_time"]
TYPES = ['"activity"', '"athlete"', '"club"', '"ACTIVITY"', '" activity "', '"\\ud800"', '""']
ASPECTS = ['"create"', '"update"', '"delete"', '"explode"', '"Create"']


def good_fields(rng: random.Random) -> dict[str, str]:
    """A valid event as JSON text per field, so any one can be swapped for raw text."""
    return {
        "object_type": rng.choice(['"activity"', '"athlete"']),
        "object_id": str(rng.randrange(1, 10**11)),
        "aspect_type": rng.choice(['"create"', '"update"', '"delete"']),
        "owner_id": str(rng.randrange(1, 10**8)),
        "subscription_id": str(SUBSCRIPTION_ID),
        "event_time": str(rng.randrange(1, 2**33)),
        "updates": rng.choice(["{}", '{"title":"Easy"}', '{"type":"Run"}', '{"private":true}']),
    }


def assemble(fields: dict[str, str]) -> bytes:
    return ("{" + ",".join(f'"{k}":{v}' for k, v in fields.items()) + "}").encode()


def hostile_body(rng: random.Random) -> bytes:
    fields = good_fields(rng)
    kind = rng.randrange(8)
    if kind == 0:  # one field replaced by a hostile value
        fields[rng.choice(FIELDS)] = rng.choice(HOSTILE_VALUES)
    elif kind == 1:  # a hostile value inside updates, as value or as key
        value = rng.choice(HOSTILE_VALUES)
        fields["updates"] = rng.choice([f'{{"title":{value}}}', f"{{{value}:1}}"])
    elif kind == 2:  # unknown or odd types
        fields["object_type"] = rng.choice(TYPES)
        fields["aspect_type"] = rng.choice(ASPECTS)
    elif kind == 3:  # a field dropped
        del fields[rng.choice(FIELDS)]
    elif kind == 4:  # bytes cut off or flipped
        raw = bytearray(assemble(fields))
        for _ in range(rng.randrange(1, 4)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        return bytes(raw[: rng.randrange(1, len(raw) + 1)])
    elif kind == 5:  # not an object at all
        return rng.choice(HOSTILE_VALUES).encode()
    elif kind == 6:  # padding with hostile text at the top level
        fields["pad"] = rng.choice(HOSTILE_VALUES)
    # kind 7: a valid event
    return assemble(fields)


@pytest.fixture
def live(app_settings, redis_server, redis_client):
    app = create_app(dataclasses.replace(app_settings, redis_url=redis_server))
    deps = app.extensions["postrun"]
    deps.enqueue = lambda _event_id: None
    yield app, deps
    app.extensions["postrun.engine"].dispose()


def test_ten_thousand_hostile_bodies_get_no_5xx_and_the_inbox_drains(live):
    app, deps = live
    client = app.test_client()
    rng = random.Random(SEED)
    statuses: dict[int, int] = {}
    accepted = 0
    for index in range(BODIES):
        raw = hostile_body(rng)
        # A sender per 20 bodies: the refusal limit must not hide the parser behind 429s.
        sender = f"198.51.{index // 20 // 256}.{index // 20 % 256}"
        response = client.post(
            URL, data=raw, content_type="application/json", environ_base={"REMOTE_ADDR": sender}
        )
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, raw[:300]
        assert response.is_json, raw[:300]
        json.loads(response.data)
        accepted += response.status_code == 200

    assert set(statuses) <= {200, 400, 413, 429}
    # Both paths well exercised.
    assert accepted > 500
    assert statuses[400] > 5000

    # Everything the door let in is stored normally: nothing needs parking.
    parked = []

    def park(item, problem):
        parked.append((item, problem))

    def store(entries):
        store_events(deps, [(entry.event, entry.received_at) for entry in entries])

    ingestor = Ingestor(deps.inbox, store, park)
    deps.inbox.ensure_group()
    while ingestor.run_once(block_ms=10):
        pass

    assert deps.inbox.backlog() == 0
    assert parked == []
    with deps.session_factory() as session:
        stored = session.scalar(sa.select(sa.func.count()).select_from(Event))
        failed = session.scalar(
            sa.select(sa.func.count()).select_from(Event).where(Event.status == "failed")
        )
    assert 0 < stored <= accepted
    assert failed == 0


def test_a_hostile_body_is_a_400_without_redis_too(client):
    """Without Redis, a hostile body is still a 400 (it was a 500 when Redis was down)."""
    raw = b'{"object_type":"\\ud800","object_id":1,"aspect_type":"create","owner_id":1,'
    raw += b'"subscription_id":120475,"event_time":1}'

    response = client.post(URL, data=raw, content_type="application/json")

    assert response.status_code == 400
    assert response.get_json()["error"] == "object_type: must be one of activity, athlete"
