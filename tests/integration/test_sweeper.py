"""The sweeper re-enqueues lost events, but never ones that are only waiting."""

from __future__ import annotations

import contextlib
import threading

import pytest
import sqlalchemy as sa

from service.pipeline import backfill
from service.pipeline.admin import claim_stale_backfills
from service.pipeline.admin import claim_stale_events
from service.pipeline.events import WebhookEvent
from service.pipeline.intake import check_subscription
from service.pipeline.intake import store_event
from service.pipeline.processing import defer_event
from service.pipeline.processing import process_event
from service.storage.models import Athlete
from service.storage.models import Event
from service.strava.errors import RateLimited
from service.strava.payloads import ActivityData
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


# Eight-week imports ------------------------------------------------------------------
# A backfill task lost with a killed worker or Redis is redelivered by Celery only after
# its 30-minute visibility timeout, while the athlete's new runs wait for the import: the
# sweeper enqueues it again instead (docs/operations.md#what-survives-a-crash).


def add_athlete(deps, athlete_id, status="pending", next_check=None):
    """An athlete as connecting leaves them: their import queued, its check scheduled."""
    with deps.session_factory() as session:
        session.add(
            Athlete(
                id=athlete_id,
                access_token="a",
                refresh_token="r",
                expires_at=2**40,  # never refreshed here: no Strava call
                backfill_status=status,
                backfill_next_check_at=next_check,
            )
        )
        session.commit()


def queued_import(deps, athlete_id):
    add_athlete(deps, athlete_id, next_check=backfill.next_check(deps))


def test_a_queued_import_is_left_to_its_task(deps, clock):
    queued_import(deps, 7)
    clock.now += deps.settings.backfill_sweep_after_s - 1

    assert claim_stale_backfills(deps) == []


def test_a_lost_import_is_claimed_once_per_sweep_period(deps, clock):
    queued_import(deps, 7)
    clock.now += deps.settings.backfill_sweep_after_s + 1

    assert claim_stale_backfills(deps) == [7]
    assert claim_stale_backfills(deps) == []  # enqueued again: not copied once more
    clock.now += deps.settings.backfill_sweep_after_s - 1
    assert claim_stale_backfills(deps) == []
    clock.now += 2
    assert claim_stale_backfills(deps) == [7]


def test_a_deferred_import_waits_out_its_countdown(deps, clock):
    queued_import(deps, 7)
    backfill.defer(deps, 7, 900)
    clock.now += deps.settings.backfill_sweep_after_s + 600

    assert claim_stale_backfills(deps) == []
    clock.now += 301
    assert claim_stale_backfills(deps) == [7]


def test_only_pending_imports_are_claimed(deps, clock):
    for athlete_id, status in enumerate(("none", "done", "failed", "pending"), start=1):
        add_athlete(deps, athlete_id, status, next_check=backfill.next_check(deps))
    backfill.defer(deps, 2, 0)  # a finished import is not put back by a late deferral
    clock.now += 10 * deps.settings.backfill_sweep_after_s

    assert claim_stale_backfills(deps) == [4]
    with deps.session_factory() as session:
        assert session.get(Athlete, 2).backfill_status == "done"


def test_an_import_pending_before_migration_0007_is_claimed_at_the_first_sweep(deps, clock):
    add_athlete(deps, 7, next_check=None)  # what 0007 leaves in the new column

    assert claim_stale_backfills(deps) == [7]
    assert claim_stale_backfills(deps) == []


def test_two_sweeps_at_once_claim_each_import_once(deps, clock):
    """A second sweep runs whole between the first one's query and its claims."""
    for athlete_id in (7, 8):
        queued_import(deps, athlete_id)
    clock.now += deps.settings.backfill_sweep_after_s + 1
    engine = deps.session_factory.kw["bind"]
    other: list[int] = []

    def between(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("UPDATE ATHLETES") and not other:
            other.append(-1)  # once only: the other sweep's own updates pass
            sweep = threading.Thread(target=lambda: other.extend(claim_stale_backfills(deps)))
            sweep.start()
            sweep.join(30)

    sa.event.listen(engine, "before_cursor_execute", between)
    try:
        first = claim_stale_backfills(deps)
    finally:
        sa.event.remove(engine, "before_cursor_execute", between)

    assert (first, other[1:]) == ([], [7, 8])


def test_a_slow_import_is_never_claimed_while_it_reads_pages(deps, clock, monkeypatch):
    """Each page (one Strava call) tells the sweeper the import is alive."""
    queued_import(deps, 7)
    claims = []

    def slow_page(_tokens, _after, page, per_page):
        clock.now += deps.settings.backfill_sweep_after_s - 1
        claims.append(claim_stale_backfills(deps))
        count = per_page if page < 3 else 5  # three pages: 405 rides
        return [ride(page * 1000 + n) for n in range(count)]

    def ride(activity_id):
        return ActivityData(
            id=activity_id,
            athlete_id=7,
            name="Ride",
            description=None,
            sport_type="Ride",
            activity_type="Ride",
            distance_m=20000.0,
            moving_time_s=3600,
            start=deps.now(),
            manual=False,
            trainer=False,
        )

    monkeypatch.setattr(deps.strava, "list_activities", slow_page)
    backfill.backfill_athlete(deps, 7)

    assert claims == [[], [], []]
    clock.now += 10 * deps.settings.backfill_sweep_after_s
    assert claim_stale_backfills(deps) == []  # done
