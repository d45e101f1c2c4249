"""The sweeper re-enqueues lost events, but never ones that are only waiting."""

from __future__ import annotations

import contextlib

import pytest

from service.pipeline.admin import claim_stale_events
from service.pipeline.events import WebhookEvent
from service.pipeline.intake import check_subscription
from service.pipeline.intake import store_event
from service.pipeline.processing import defer_event
from service.pipeline.processing import process_event
from service.storage.models import Event
from service.strava.errors import RateLimited
from tests.conftest import SUBSCRIPTION_ID


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(deps):
    fake = Clock()
    deps.clock = fake
    return fake


def accept(deps, object_id):
    event = WebhookEvent("activity", object_id, "create", 4242, SUBSCRIPTION_ID, 1, {})
    check_subscription(deps, event)
    return store_event(deps, event, deps.clock())[0]


def first_check(deps):
    """Seconds after arrival before the sweeper may look: the processing delay, then its own."""
    return deps.settings.processing_delay_s + deps.settings.sweep_after_s


def test_a_fresh_event_is_left_to_its_first_task(deps, clock):
    accept(deps, 1)
    clock.now += first_check(deps) - 1

    assert claim_stale_events(deps) == []


def test_a_lost_event_is_claimed_once_per_sweep_period(deps, clock):
    event_id = accept(deps, 1)
    clock.now += first_check(deps) + 1

    assert claim_stale_events(deps) == [event_id]
    assert claim_stale_events(deps) == []  # still queued: not copied again
    clock.now += deps.settings.sweep_after_s + 1
    assert claim_stale_events(deps) == [event_id]


def test_a_deferred_event_waits_out_its_countdown(deps, clock):
    event_id = accept(deps, 1)
    defer_event(deps, event_id, 900)
    clock.now += deps.settings.sweep_after_s + 600

    assert claim_stale_events(deps) == []
    clock.now += 900
    assert claim_stale_events(deps) == [event_id]


def test_finished_events_are_never_claimed(deps, clock):
    event_id = accept(deps, 1)
    with deps.session_factory() as session:
        session.get(Event, event_id).status = "done"
        session.commit()
    clock.now += 10 * deps.settings.sweep_after_s

    assert claim_stale_events(deps) == []


def test_deferrals_do_not_use_up_attempts(deps, clock, monkeypatch):
    """A spent rate window is waiting, not failing: attempts stay where they were."""
    from service.storage.models import Athlete

    with deps.session_factory() as session:
        session.add(
            Athlete(id=4242, access_token="a", refresh_token="r", expires_at=int(clock.now) + 9999)
        )
        session.commit()
    event_id = accept(deps, 1)

    def spent(*_args, **_kwargs):
        raise RateLimited("budget spent", 30)

    monkeypatch.setattr(deps.strava, "get_activity", spent)
    monkeypatch.setattr(deps, "lock", lambda _name: contextlib.nullcontext())
    for _ in range(deps.settings.event_max_attempts + 3):
        with pytest.raises(RateLimited):
            process_event(deps, event_id)

    with deps.session_factory() as session:
        event = session.get(Event, event_id)
        assert (event.status, event.attempts) == ("pending", 0)
