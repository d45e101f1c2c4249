"""Queries for operators and the sweeper: list, re-run and reclaim stored events, and
reclaim eight-week imports whose task was lost."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult

from service.pipeline.backfill import next_check
from service.pipeline.deps import Deps
from service.storage.models import Athlete
from service.storage.models import BackfillStatus
from service.storage.models import Event
from service.storage.models import EventStatus


def list_events(deps: Deps, status: EventStatus, limit: int = 200) -> list[Event]:
    with deps.session_factory() as session:
        return list(
            session.scalars(
                sa.select(Event).where(Event.status == status).order_by(Event.id).limit(limit)
            )
        )


def retry_events(deps: Deps, event_ids: list[int] | None) -> list[int]:
    """Put failed events (all of them when ``event_ids`` is None) back in the queue."""
    with deps.session_factory() as session:
        query = sa.select(Event).where(Event.status == EventStatus.FAILED)
        if event_ids is not None:
            query = query.where(Event.id.in_(event_ids))
        events = list(session.scalars(query))
        for event in events:
            event.status = EventStatus.PENDING
            event.attempts = 0
            event.outcome = ""
            event.finished_at = None
        session.commit()
        ids = [event.id for event in events]
    for event_id in ids:
        deps.enqueue(event_id)
    return ids


def claim_stale_events(deps: Deps, limit: int = 500) -> list[int]:
    """Pending events past their next check: their enqueue or their task was lost.

    Each one claimed is pushed back by ``sweep_after_s``, so a slow queue is not
    flooded with copies of events that are only waiting their turn.
    """
    now = deps.now()
    with deps.session_factory() as session:
        events = list(
            session.scalars(
                sa.select(Event)
                .where(Event.status == EventStatus.PENDING)
                .where(
                    sa.or_(
                        Event.next_check_at < now,
                        sa.and_(
                            Event.next_check_at.is_(None),
                            Event.received_at
                            < now - timedelta(seconds=deps.settings.sweep_after_s),
                        ),
                    )
                )
                .order_by(Event.id)
                .limit(limit)
            )
        )
        for event in events:
            event.next_check_at = now + timedelta(seconds=deps.settings.sweep_after_s)
        session.commit()
        return [event.id for event in events]


def claim_stale_backfills(deps: Deps, limit: int = 100) -> list[int]:
    """Athletes whose eight-week import is still pending past its next check: its task
    was lost with a killed worker or Redis (docs/operations.md#what-survives-a-crash).

    Each one claimed is pushed back by ``backfill_sweep_after_s``, so the sweeper hands
    an import on once per period at most. The claim is one conditional update per
    athlete, counted: of two sweeps that see the same import, only one claims it.
    """
    now = deps.now()
    stale = sa.and_(
        Athlete.backfill_status == BackfillStatus.PENDING,
        sa.or_(Athlete.backfill_next_check_at.is_(None), Athlete.backfill_next_check_at < now),
    )
    claimed = []
    with deps.session_factory() as session:
        candidates = session.scalars(
            sa.select(Athlete.id).where(stale).order_by(Athlete.id).limit(limit)
        ).all()
        for athlete_id in candidates:
            result = session.execute(
                sa.update(Athlete)
                .where(Athlete.id == athlete_id, stale)
                .values(backfill_next_check_at=next_check(deps))
            )
            if cast("CursorResult[Any]", result).rowcount == 1:
                claimed.append(athlete_id)
        session.commit()
    return claimed


def count_events(deps: Deps) -> list[tuple[str, int]]:
    """How many events there are of each status, by status."""
    with deps.session_factory() as session:
        rows = session.execute(
            sa.select(Event.status, sa.func.count()).group_by(Event.status).order_by(Event.status)
        ).all()
    return [(status, count) for status, count in rows]
