"""Retention: old finished events go, pending ones stay whatever their age."""

from __future__ import annotations

from datetime import timedelta

from service.ops import maintenance
from service.storage.models import Event
from service.storage.models import utcnow


def add(deps, key, status, age_days):
    with deps.session_factory() as session:
        session.add(
            Event(
                dedupe_key=key,
                subscription_id=1,
                object_type="activity",
                object_id=1,
                aspect_type="create",
                owner_id=1,
                event_time=1,
                updates={},
                status=status,
                received_at=utcnow() - timedelta(days=age_days),
            )
        )
        session.commit()


def test_old_finished_events_are_deleted_and_pending_ones_kept(deps):
    add(deps, "old-done", "done", 40)
    add(deps, "old-failed", "failed", 40)
    add(deps, "old-pending", "pending", 40)
    add(deps, "new-done", "done", 3)

    assert maintenance.clean_up(deps) == 2

    with deps.session_factory() as session:
        kept = sorted(e.dedupe_key for e in session.query(Event))
    assert kept == ["new-done", "old-pending"]
