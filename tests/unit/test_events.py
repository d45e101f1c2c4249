"""Parsing Strava's webhook body: every malformed field is named, string ids are fine."""

from __future__ import annotations

import json

import pytest

from service.pipeline.events import EventError
from service.pipeline.events import parse_event
from tests.fixtures import load_json

GOOD = {
    "aspect_type": "create",
    "event_time": 1516126040,
    "object_id": 1360128428,
    "object_type": "activity",
    "owner_id": 134815,
    "subscription_id": 120475,
    "updates": {},
}


def body(**changes):
    data = {**GOOD, **changes}
    return json.dumps({k: v for k, v in data.items() if v is not ...}).encode()


def test_strava_docs_example_parses():
    raw = json.dumps(load_json("strava/webhook_event_activity-update-title_strava-docs.json"))

    event = parse_event(raw.encode())

    assert event.aspect_type == "update"
    assert event.updates == {"title": "Messy"}
    assert event.object_id == 1360128428


def test_string_ids_are_accepted():
    event = parse_event(body(object_id="12312312312", subscription_id="1", owner_id="13408"))

    assert (event.object_id, event.subscription_id, event.owner_id) == (12312312312, 1, 13408)


def test_missing_updates_means_none():
    assert parse_event(body(updates=...)).updates == {}


def test_same_event_same_key_and_different_event_different_key():
    assert (
        parse_event(body()).dedupe_key() == parse_event(body(object_id="1360128428")).dedupe_key()
    )
    assert parse_event(body()).dedupe_key() != parse_event(body(event_time=1516126041)).dedupe_key()


def test_unknown_types_are_refused_at_the_door():
    # Strava sends activity and athlete events only; anything else would reach the
    # inbox, the database and the metrics' labels for nothing.
    for changes in ({"object_type": "club"}, {"aspect_type": "explode"}):
        with pytest.raises(EventError):
            parse_event(body(**changes))


def raw_body(fragment: str) -> bytes:
    """GOOD with one field's JSON text replaced by ``fragment`` (json.dumps cannot write
    NaN escapes or lone surrogates the way an attacker does)."""
    return (
        '{"aspect_type":"create","event_time":1516126040,"object_id":1,'
        '"object_type":"activity","owner_id":2,"subscription_id":120475,' + fragment + "}"
    ).encode()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        # A lone surrogate: valid JSON, but no UTF-8 encoder (nor the database) takes it.
        (raw_body('"updates":{"title":"\\ud800"}'), "updates.title: must be a short plain value"),
        (raw_body('"updates":{"\\udfff":"x"}'), "updates: field names must be short plain text"),
        (raw_body('"updates":{"title":"a\\u0000b"}'), "updates.title: must be a short plain value"),
        (raw_body('"updates":{"title":NaN}'), "body: NaN is not a number JSON allows"),
        (raw_body('"updates":{"title":-Infinity}'), "body: -Infinity is not a number JSON allows"),
        (raw_body('"updates":{"title":1e400}'), "updates.title: must be a short plain value"),
        (raw_body('"updates":{"n":' + "9" * 5000 + "}"), "body: a number is too long"),
        (raw_body('"updates":{"n":' + str(2**63) + "}"), "updates.n: must be a short plain value"),
        (raw_body('"pad":"' + "7" * 5000 + '"'), None),  # long text elsewhere is ignored
        (body(object_id="9" * 5000), "object_id: must be a positive integer"),
        (b"[" * 990 + b"]" * 990, "body: nested too deeply"),
        (b"[" * 100_000, "body: nested too deeply"),
        (raw_body('"updates":{"a":[[[[1]]]]}'), "body: nested too deeply"),
        (raw_body('"updates":{"title":"[[[[[[[[[[{{{{{{{{"}'), None),  # brackets in text
        (body(object_type="\ud800"), "object_type: must be one of activity, athlete"),
    ],
)
def test_hostile_bodies_are_refused_with_a_reason(raw, message):
    if message is None:
        assert parse_event(raw).object_id == 1
        return
    with pytest.raises(EventError) as caught:
        parse_event(raw)

    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "body: not valid JSON"),
        (b"not json", "body: not valid JSON"),
        (b"\xff\xfe", "body: not valid JSON"),
        (b"[1, 2]", "body: must be a JSON object"),
        (body(object_id=...), "object_id: missing"),
        (body(object_id=-5), "object_id: must be a positive integer"),
        (body(object_id="12a"), "object_id: must be a positive integer"),
        (body(object_id=True), "object_id: must be a positive integer"),
        (body(object_id=1.5), "object_id: must be a positive integer"),
        (body(owner_id=2**64), "owner_id: must be a positive integer"),
        (body(subscription_id=None), "subscription_id: must be a positive integer"),
        (body(event_time="yesterday"), "event_time: must be a positive integer"),
        (body(aspect_type=""), "aspect_type: must be one of create, delete, update"),
        (body(object_type=7), "object_type: must be one of activity, athlete"),
        (body(updates=[1]), "updates: must be an object of a few fields"),
        (body(updates={"title": {"nested": 1}}), "updates.title: must be a short plain value"),
    ],
)
def test_bad_bodies_name_the_field(raw, message):
    with pytest.raises(EventError) as caught:
        parse_event(raw)

    assert str(caught.value) == message
