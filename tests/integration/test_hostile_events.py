"""Events anyone could forge: Strava signs nothing, so the worker checks before it acts."""

from __future__ import annotations

import contextlib

import pytest

from service.pipeline.errors import RetryLater
from service.pipeline.events import WebhookEvent
from service.pipeline.intake import store_event
from service.pipeline.processing import process_event
from service.storage.models import Athlete
from service.storage.models import Event
from service.strava.errors import AccessRevoked
from service.strava.errors import NotFound
from service.strava.payloads import AthleteData
from tests.conftest import SUBSCRIPTION_ID

NOW = 1_800_000_000.0
ATHLETE = 4242


@pytest.fixture
def world(deps, monkeypatch):
    deps.clock = lambda: NOW
    monkeypatch.setattr(deps, "lock", lambda _name: contextlib.nullcontext())
    with deps.session_factory() as session:
        session.add(
            Athlete(id=ATHLETE, access_token="a", refresh_token="r", expires_at=int(NOW) + 9999)
        )
        session.commit()
    return deps


def accept(deps, event, received_at=NOW):
    return store_event(deps, event, received_at)[0]


def athlete_kept(deps):
    with deps.session_factory() as session:
        return session.get(Athlete, ATHLETE) is not None


def deauthorization():
    return WebhookEvent(
        "athlete", ATHLETE, "update", ATHLETE, SUBSCRIPTION_ID, int(NOW), {"authorized": "false"}
    )


def test_a_forged_deauthorization_deletes_nothing(world, monkeypatch):
    # Strava still accepts the athlete's token: the event did not come from Strava.
    monkeypatch.setattr(
        world.strava, "get_athlete", lambda _tokens: AthleteData(ATHLETE, "Ann", "meters")
    )

    outcome = process_event(world, accept(world, deauthorization()))

    assert outcome.startswith("ignored: deauthorization not confirmed")
    assert athlete_kept(world)


def test_a_deauthorization_strava_confirms_deletes_the_athlete(world, monkeypatch):
    def revoked(*_args):
        raise AccessRevoked("401")

    monkeypatch.setattr(world.strava, "get_athlete", revoked)
    monkeypatch.setattr(world.strava, "refresh", revoked)

    outcome = process_event(world, accept(world, deauthorization()))

    assert outcome == "done: athlete deauthorized (confirmed by Strava): all their data deleted"
    assert not athlete_kept(world)


def create(object_id, event_time):
    return WebhookEvent("activity", object_id, "create", ATHLETE, SUBSCRIPTION_ID, event_time, {})


def test_the_not_found_grace_counts_from_receipt_not_the_senders_clock(world, monkeypatch):
    def missing(*_args):
        raise NotFound("404")

    monkeypatch.setattr(world.strava, "get_activity", missing)
    far_future = int(NOW) + 10 * 365 * 86400
    received_long_ago = NOW - world.settings.not_found_grace_s - 1

    # A sender's event_time in the future no longer buys it retries.
    stale = accept(world, create(1, far_future), received_at=received_long_ago)
    assert process_event(world, stale) == "ignored: activity not found on Strava"
    # A real create received just now is still given its grace, whatever event_time says.
    fresh = accept(world, create(2, 1))
    with pytest.raises(RetryLater):
        process_event(world, fresh)
    with world.session_factory() as session:
        assert session.get(Event, fresh).status == "pending"
