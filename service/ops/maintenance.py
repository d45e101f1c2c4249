"""Jobs that keep a deployment healthy on their own, run by Celery beat.

- The push subscription: Strava sends nothing without it, and peers report it
  silently going missing (docs/sources.md#why-the-push-subscription-is-checked-every-hour), so it is
  checked and re-created when absent or pointing elsewhere.
- A reconcile: runs whose webhook never arrived are found by listing each active
  athlete's recent activities (one low-priority call per 200) and queued as if
  Strava had announced them. Our own idea (docs/sources.md#why-a-daily-reconcile); no peer
  source.
- The same listing keeps the local history true to the athlete's later edits: a run
  marked as a race, or cropped, after its note was written. Strava announces only
  title, type and privacy changes (docs/sources.md#webhook-event-fields); the note
  already written stays as it is, the next ones count the run as it now stands.
- Retention: finished events are kept for a while for `postrun events` and the
  metrics, then deleted. Athletes who leave are deleted at once (deauthorization
  or disconnect), so only their leftovers' age matters here.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial
from typing import Any
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

import coaching
from service.pipeline.annotation import as_athlete
from service.pipeline.deps import Deps
from service.pipeline.intake import save_subscription_id
from service.storage.models import Activity
from service.storage.models import ActivitySource
from service.storage.models import Athlete
from service.storage.models import Event
from service.storage.models import EventStatus
from service.strava.errors import AccessRevoked
from service.strava.payloads import ActivityData
from service.strava.payloads import Tokens

log = logging.getLogger(__name__)

RECONCILE_DAYS = 2
KEEP_EVENTS_DAYS = 30


def callback_url(deps: Deps) -> str | None:
    if not deps.settings.public_url:
        return None
    return f"{deps.settings.public_url}/webhooks/strava"


def ensure_subscription(deps: Deps) -> str:
    """Make sure Strava's one push subscription exists and points at us."""
    wanted = callback_url(deps)
    if wanted is None or not deps.settings.strava_verify_token:
        return "skipped: set POSTRUN_PUBLIC_URL and STRAVA_VERIFY_TOKEN to check the subscription"
    found = deps.strava.list_subscriptions()
    for item in found:
        if item["callback_url"] == wanted:
            save_subscription_id(deps, int(item["id"]))
            return f"ok: subscription {item['id']}"
    # One subscription per app (docs/sources.md#push-subscriptions): a stale one must go first.
    for item in found:
        deps.strava.delete_subscription(int(item["id"]))
    subscription_id = deps.strava.create_subscription(wanted, deps.settings.strava_verify_token)
    save_subscription_id(deps, subscription_id)
    log.warning("push subscription was missing or stale; created %s", subscription_id)
    return f"re-created: subscription {subscription_id}"


def reconcile(deps: Deps, days: int = RECONCILE_DAYS) -> list[int]:
    """Store a synthetic create event for each recent run we never heard of; return their ids.

    The caller enqueues them after this commit, exactly like webhook events.
    """
    since = deps.now() - timedelta(days=days)
    created: list[int] = []
    with deps.session_factory() as session:
        subscription = deps.subscription_id(session) or 0
        athletes = list(
            session.scalars(
                sa.select(Athlete).where(Athlete.needs_reauth.is_(False), Athlete.paused.is_(False))
            )
        )
        for athlete in athletes:
            after = int(max(since, athlete.created_at).timestamp())
            try:
                found = as_athlete(deps, session, athlete, partial(_recent, deps, after=after))
            except AccessRevoked:
                # One athlete who revoked access (their deauthorization never reached
                # us) must not stop the reconcile for everyone after them.
                athlete.needs_reauth = True
                log.info("reconcile: Strava refused athlete %s's token; marked", athlete.id)
                continue
            for item in found:
                stored = session.get(Activity, item.id)
                if stored is not None:
                    _follow_edits(stored, item)
                    continue
                is_run, _why = coaching.is_finished_run(
                    sport_type=item.sport_type,
                    activity_type=item.activity_type,
                    distance_m=item.distance_m,
                    moving_time_s=item.moving_time_s,
                )
                if is_run:
                    event = _synthetic_create(deps, session, subscription, athlete.id, item.id)
                    if event is not None:
                        session.add(event)
                        session.flush()
                        created.append(event.id)
        session.commit()
    return created


def _recent(deps: Deps, tokens: Tokens, after: int) -> list[ActivityData]:
    """Every activity the athlete started after ``after``, page by page (200 a call)."""
    found: list[ActivityData] = []
    page = 1
    while True:
        items = deps.strava.list_activities(tokens, after=after, page=page)
        found += items
        if len(items) < 200:
            return found
        page += 1


def _follow_edits(stored: Activity, item: ActivityData) -> None:
    """Bring a stored run's race mark, distance and moving time up to Strava's."""
    if not stored.is_run or stored.source != ActivitySource.STRAVA:
        return
    # What the listing leaves out (no workout_type, a zero distance or time) is no edit;
    # workout_type 0 is one: the race mark taken off.
    edited: dict[str, object] = {}
    if item.workout_type is not None:
        edited["workout_type"] = item.workout_type
    if item.distance_m > 0 and item.moving_time_s > 0:
        edited["distance_m"] = item.distance_m
        edited["moving_time_s"] = item.moving_time_s
    changed = {k: v for k, v in edited.items() if getattr(stored, k) != v}
    for name, value in changed.items():
        setattr(stored, name, value)
    if changed:
        log.info(
            "activity %s: history follows the athlete's edit of %s", stored.id, sorted(changed)
        )


def _synthetic_create(
    deps: Deps, session: Session, subscription: int, athlete_id: int, activity_id: int
) -> Event | None:
    """A create event as Strava would have sent it, unless an earlier reconcile made one."""
    key = f"reconcile:{activity_id}"
    if session.scalar(sa.select(Event.id).where(Event.dedupe_key == key)) is not None:
        return None
    now = deps.now()
    return Event(
        dedupe_key=key,
        subscription_id=subscription,
        object_type="activity",
        object_id=activity_id,
        aspect_type="create",
        owner_id=athlete_id,
        event_time=int(now.timestamp()),
        updates={"source": "reconcile"},
        received_at=now,
        next_check_at=now + timedelta(seconds=deps.settings.sweep_after_s),
    )


def clean_up(deps: Deps, keep_days: int = KEEP_EVENTS_DAYS) -> int:
    """Delete finished events older than ``keep_days``; pending ones are never touched."""
    cutoff = deps.now() - timedelta(days=keep_days)
    with deps.session_factory() as session:
        result = session.execute(
            sa.delete(Event)
            .where(Event.status != EventStatus.PENDING)
            .where(Event.received_at < cutoff)
        )
        deleted = cast("CursorResult[Any]", result).rowcount
        session.commit()
    return int(deleted or 0)
