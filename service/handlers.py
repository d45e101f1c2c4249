"""What postrun does, as plain functions: the web views and Celery tasks only call these.

Each handler takes its collaborators in a ``Deps`` so tests can hand it a real
database with a sandboxed Strava, and nothing here knows about Flask or Celery.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

import coaching
from service import description
from service.config import Settings
from service.events import WebhookEvent
from service.models import Activity
from service.models import AppState
from service.models import Athlete
from service.models import Event
from service.strava import AccessRevoked
from service.strava import ActivityData
from service.strava import NotFound
from service.strava import StravaGateway
from service.strava import Tokens

log = logging.getLogger(__name__)

SUBSCRIPTION_KEY = "strava_subscription_id"
# How far back the coaching engine looks: enough for a 28-day EWMA to settle
# and for the 30-day longest run, with room to spare.
HISTORY_DAYS = 120


class NotOurSubscription(Exception):
    """The event names a push subscription this deployment did not create."""


@contextlib.contextmanager
def _local_lock(_name: str) -> Iterator[None]:
    yield


@dataclasses.dataclass
class Deps:
    settings: Settings
    session_factory: sessionmaker[Session]
    strava: StravaGateway
    # A named lock shared by every worker process (Redis in production).
    lock: Callable[[str], AbstractContextManager[Any]] = _local_lock
    # Hands an accepted event id to the worker; called only after the commit.
    enqueue: Callable[[int], None] = lambda _event_id: None
    clock: Callable[[], float] = time.time
    _subscription_cache: tuple[float, int | None] = (0.0, None)
    _cache_lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def subscription_id(self, session: Session) -> int | None:
        """Our push subscription id: pinned in settings, or stored by ``postrun subscribe``.

        Cached for a few seconds so the webhook does not read it on every event.
        """
        if self.settings.strava_subscription_id is not None:
            return self.settings.strava_subscription_id
        with self._cache_lock:
            fetched_at, value = self._subscription_cache
            if value is not None and self.clock() - fetched_at < 10:
                return value
        stored = session.get(AppState, SUBSCRIPTION_KEY)
        value = int(stored.value) if stored else None
        with self._cache_lock:
            self._subscription_cache = (self.clock(), value)
        return value


# Webhook ---------------------------------------------------------------------


def accept_event(deps: Deps, event: WebhookEvent) -> tuple[int, bool]:
    """Store an event durably. Returns its id and whether it should be enqueued.

    A repeat delivery finds the first copy (same dedupe key) and is enqueued again
    only while that copy is still pending, so a lost enqueue heals itself.
    """
    with deps.session_factory() as session:
        ours = deps.subscription_id(session)
        if ours is None or event.subscription_id != ours:
            raise NotOurSubscription(event.subscription_id)
        row = Event(
            dedupe_key=event.dedupe_key(),
            subscription_id=event.subscription_id,
            object_type=event.object_type,
            object_id=event.object_id,
            aspect_type=event.aspect_type,
            owner_id=event.owner_id,
            event_time=event.event_time,
            updates=event.updates,
            received_at=deps.now(),
        )
        session.add(row)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            existing = session.scalars(
                sa.select(Event).where(Event.dedupe_key == row.dedupe_key)
            ).one()
            return existing.id, existing.status == "pending"
        return row.id, True


def save_subscription_id(deps: Deps, subscription_id: int | None) -> None:
    with deps.session_factory() as session:
        stored = session.get(AppState, SUBSCRIPTION_KEY)
        if subscription_id is None:
            if stored:
                session.delete(stored)
        elif stored:
            stored.value = str(subscription_id)
        else:
            session.add(AppState(key=SUBSCRIPTION_KEY, value=str(subscription_id)))
        session.commit()
    with deps._cache_lock:
        deps._subscription_cache = (0.0, None)


# Athletes --------------------------------------------------------------------


def connect_athlete(deps: Deps, code: str) -> int:
    """Exchange an OAuth code, read the athlete and store them. Returns the athlete id."""
    tokens, scope = deps.strava.exchange_code(code)
    profile = deps.strava.get_athlete(tokens)
    with deps.session_factory() as session:
        athlete = session.get(Athlete, profile.id)
        if athlete is None:
            athlete = Athlete(id=profile.id)
            session.add(athlete)
        athlete.firstname = profile.firstname
        athlete.measurement_preference = profile.measurement_preference
        athlete.access_token = tokens.access_token
        athlete.refresh_token = tokens.refresh_token
        athlete.expires_at = tokens.expires_at
        athlete.scope = scope
        athlete.needs_reauth = False
        session.commit()
    return profile.id


def forget_athlete(session: Session, athlete_id: int) -> None:
    """Delete every row we hold about an athlete (Strava's API agreement, strava-api.md §2)."""
    session.execute(sa.delete(Activity).where(Activity.athlete_id == athlete_id))
    session.execute(sa.delete(Event).where(Event.owner_id == athlete_id))
    session.execute(sa.delete(Athlete).where(Athlete.id == athlete_id))


def fresh_tokens(deps: Deps, session: Session, athlete: Athlete) -> Tokens:
    """The athlete's tokens, refreshed first if they are about to expire.

    Strava invalidates the old refresh token as soon as it issues a new one
    (strava-api.md §2), so the refresh runs under a per-athlete lock and the
    rotated token is committed before anything else uses it.
    """
    tokens = Tokens(athlete.access_token, athlete.refresh_token, athlete.expires_at)
    if not deps.strava.needs_refresh(tokens):
        return tokens
    with deps.lock(f"tokens:{athlete.id}"):
        session.refresh(athlete)
        tokens = Tokens(athlete.access_token, athlete.refresh_token, athlete.expires_at)
        if not deps.strava.needs_refresh(tokens):
            return tokens
        fresh = deps.strava.refresh(tokens.refresh_token)
        athlete.access_token = fresh.access_token
        athlete.refresh_token = fresh.refresh_token
        athlete.expires_at = fresh.expires_at
        session.commit()
        return fresh


def coaching_settings(athlete: Athlete) -> coaching.AthleteSettings:
    return coaching.AthleteSettings(
        units=athlete.effective_units(),  # type: ignore[arg-type]
        equipment=athlete.equipment,  # type: ignore[arg-type]
        level=athlete.level,  # type: ignore[arg-type]
        circuits_per_week=athlete.circuits_per_week,
    )


def run_history(session: Session, athlete_id: int, until: datetime) -> list[coaching.Run]:
    rows = session.scalars(
        sa.select(Activity)
        .where(Activity.athlete_id == athlete_id)
        .where(Activity.is_run.is_(True))
        .where(Activity.start >= until - timedelta(days=HISTORY_DAYS))
        .where(Activity.start <= until)
        .order_by(Activity.start)
    )
    return [as_run(row) for row in rows]


def as_run(row: Activity) -> coaching.Run:
    return coaching.Run(
        id=str(row.id),
        start=row.start,
        distance_m=row.distance_m,
        moving_time_s=row.moving_time_s,
        sport_type=row.sport_type or "Run",
    )


# Events ----------------------------------------------------------------------


def process_event(deps: Deps, event_id: int) -> str:
    """Handle one stored event once. Returns what happened, for the logs.

    Transient Strava errors propagate (the task retries); everything that will
    not get better by retrying ends the event as done or ignored, with a reason.
    """
    with deps.session_factory() as session:
        event = session.get(Event, event_id)
        if event is None:
            return "gone: the event was deleted with its athlete"
        if event.status != "pending":
            return f"already {event.status}"
        event.attempts += 1
        session.commit()
        try:
            status, outcome = _dispatch(deps, session, event)
        except Exception as error:
            session.rollback()
            _record_error(deps, event_id, error)
            raise
        # A deauthorization deletes the athlete's events, this one included.
        if session.get(Event, event_id) is not None:
            event.status = status
            event.outcome = outcome[:255]
            event.finished_at = deps.now()
        session.commit()
        log.info("event %s: %s (%s)", event_id, status, outcome)
        return f"{status}: {outcome}"


def _record_error(deps: Deps, event_id: int, error: BaseException) -> None:
    with deps.session_factory() as session:
        event = session.get(Event, event_id)
        if event is not None:
            event.last_error = f"{type(error).__name__}: {error}"[:2000]
            session.commit()


def _dispatch(deps: Deps, session: Session, event: Event) -> tuple[str, str]:
    if event.object_type == "athlete":
        if event.aspect_type == "update" and str(event.updates.get("authorized")) == "false":
            forget_athlete(session, event.owner_id)
            return "done", "athlete deauthorized: all their data deleted"
        return "ignored", f"athlete {event.aspect_type} needs no action"
    if event.object_type != "activity":
        return "ignored", f"unknown object type {event.object_type!r}"
    athlete = session.get(Athlete, event.owner_id)
    if athlete is None:
        return "ignored", "unknown athlete"
    if event.aspect_type == "delete":
        session.execute(sa.delete(Activity).where(Activity.id == event.object_id))
        return "done", "activity deleted: forgotten"
    if event.aspect_type == "update" and "type" not in event.updates:
        changed = ", ".join(sorted(event.updates)) or "nothing"
        return "ignored", f"update of {changed} needs no action"
    if event.aspect_type not in ("create", "update"):
        return "ignored", f"unknown aspect type {event.aspect_type!r}"
    if athlete.needs_reauth:
        return "ignored", "athlete must reconnect to Strava"
    try:
        return annotate_activity(deps, session, athlete, event.object_id, event.aspect_type)
    except AccessRevoked:
        session.rollback()
        athlete.needs_reauth = True
        session.commit()
        return "ignored", "Strava refused the athlete's token: marked as needing to reconnect"


def annotate_activity(
    deps: Deps, session: Session, athlete: Athlete, activity_id: int, aspect: str
) -> tuple[str, str]:
    """Read one activity and, if it is a finished run, write our block into it."""
    with deps.lock(f"activity:{activity_id}"):
        row = session.get(Activity, activity_id)
        if aspect == "create" and row is not None and row.status == "annotated":
            # A repeated create (a retry, or a privacy flip): the run already has its
            # note, and re-reading it would only spend the athlete's API budget.
            return "done", "already annotated"
        tokens = fresh_tokens(deps, session, athlete)
        try:
            data = deps.strava.get_activity(tokens, activity_id)
        except NotFound:
            return "ignored", "activity not found on Strava"
        if data.athlete_id and data.athlete_id != athlete.id:
            return "ignored", "activity belongs to another athlete"
        row = _remember(session, row, athlete.id, data)
        is_run, reason = coaching.is_finished_run(
            sport_type=data.sport_type,
            activity_type=data.activity_type,
            distance_m=data.distance_m,
            moving_time_s=data.moving_time_s,
        )
        if not is_run:
            return _leave_non_run(deps, session, row, tokens, data, reason)
        row.is_run = True
        session.flush()
        run = as_run(row)
        history = run_history(session, athlete.id, run.start)
        suggestion = coaching.suggest(coaching_settings(athlete), history, run)
        block = description.render_block(suggestion.text)
        wanted = description.merge(data.description, block, row.written_block)
        wrote = wanted != (data.description or "")
        if wrote:
            session.commit()  # the run joins the history even if the write fails
            deps.strava.update_description(tokens, activity_id, wanted)
        row.status = "annotated"
        row.reason = ""
        row.written_block = block
        row.annotated_at = deps.now()
        session.commit()
        return "done", "annotated" if wrote else "already annotated (description unchanged)"


def _remember(
    session: Session, row: Activity | None, athlete_id: int, data: ActivityData
) -> Activity:
    if row is None:
        row = Activity(id=data.id, athlete_id=athlete_id)
        session.add(row)
    row.name = data.name[:255]
    row.sport_type = (data.sport_type or data.activity_type or "")[:40]
    row.start = data.start
    row.distance_m = data.distance_m
    row.moving_time_s = data.moving_time_s
    return row


def _leave_non_run(
    deps: Deps,
    session: Session,
    row: Activity,
    tokens: Tokens,
    data: ActivityData,
    reason: str,
) -> tuple[str, str]:
    row.is_run = False
    row.status = "not_run"
    row.reason = reason[:255]
    cleaned = description.merge(data.description, None, row.written_block)
    if cleaned != (data.description or ""):
        # Retyped from a run to something else: take our block back out.
        session.commit()
        deps.strava.update_description(tokens, row.id, cleaned)
        row.written_block = None
        session.commit()
        return "done", f"not a run ({reason}): our note removed"
    row.written_block = None
    session.commit()
    return "done", f"not a run ({reason}): left untouched"


def pending_event_ids(deps: Deps, older_than_s: float, limit: int = 500) -> list[int]:
    """Events accepted but not finished for a while: their enqueue or task was lost."""
    cutoff = deps.now() - timedelta(seconds=older_than_s)
    with deps.session_factory() as session:
        return list(
            session.scalars(
                sa.select(Event.id)
                .where(Event.status == "pending")
                .where(Event.received_at < cutoff)
                .order_by(Event.id)
                .limit(limit)
            )
        )
