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
from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import TypeVar

import redis
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

import coaching
from service.config import Settings
from service.logs import log_context
from service.pipeline import description
from service.pipeline.events import WebhookEvent
from service.pipeline.inbox import Inbox
from service.storage.models import Activity
from service.storage.models import AppState
from service.storage.models import Athlete
from service.storage.models import Event
from service.strava.gateway import AccessRevoked
from service.strava.gateway import ActivityData
from service.strava.gateway import NotFound
from service.strava.gateway import RateLimited
from service.strava.gateway import StravaGateway
from service.strava.gateway import Tokens
from service.strava.locks import LockBusy

log = logging.getLogger(__name__)
T = TypeVar("T")

SUBSCRIPTION_KEY = "strava_subscription_id"
# How far back the coaching engine looks: enough for a 28-day EWMA to settle
# and for the 30-day longest run, with room to spare.
HISTORY_DAYS = 120


class NotOurSubscription(Exception):
    """The event names a push subscription this deployment did not create."""


class RetryLater(Exception):
    """Nothing is wrong yet, but the event cannot finish now; try again after a pause."""

    def __init__(self, message: str, retry_after_s: float, patience_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        # How long the cause may last before the event is better given up (or, for the
        # backfill wait, handled anyway): it sets how many retries the task gets.
        self.patience_s = patience_s


# Waiting, not failing: these do not use up an event's attempts.
DEFERRALS = (RateLimited, RetryLater, LockBusy)
# A run that arrives while the athlete's backfill is still going waits for it this long.
BACKFILL_WAIT = timedelta(minutes=15)
BACKFILL_RECHECK_S = 20.0


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
    # Hands a newly connected athlete's id to the eight-week backfill; None: no backfill.
    enqueue_backfill: Callable[[int], None] | None = None
    clock: Callable[[], float] = time.time
    # The Redis inbox the webhook writes to; without one, events go straight to the database.
    inbox: Inbox | None = None
    _subscription_cache: tuple[float, int | None] = (0.0, None)
    _cache_lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def cached_subscription_id(self) -> int | None:
        """The subscription id if it is pinned or was read in the last few seconds."""
        if self.settings.strava_subscription_id is not None:
            return self.settings.strava_subscription_id
        with self._cache_lock:
            fetched_at, value = self._subscription_cache
        return value if self.clock() - fetched_at < 10 else None

    def subscription_id(self, session: Session, fresh: bool = False) -> int | None:
        """Our push subscription id: pinned in settings, or stored by ``postrun subscribe``.

        Cached for a few seconds so the webhook does not read it on every event.
        """
        if self.settings.strava_subscription_id is not None:
            return self.settings.strava_subscription_id
        with self._cache_lock:
            fetched_at, value = self._subscription_cache
            if not fresh and value is not None and self.clock() - fetched_at < 10:
                return value
        stored = session.get(AppState, SUBSCRIPTION_KEY)
        value = int(stored.value) if stored else None
        with self._cache_lock:
            self._subscription_cache = (self.clock(), value)
        return value


# Webhook ---------------------------------------------------------------------


def check_subscription(deps: Deps, event: WebhookEvent) -> None:
    """Refuse an event for a push subscription this deployment did not create."""
    if deps.cached_subscription_id() == event.subscription_id:
        return  # the common case costs no database round trip
    with deps.session_factory() as session:
        ours = deps.subscription_id(session)
        if event.subscription_id != ours:
            # The cache may predate a re-created subscription: look again before refusing.
            ours = deps.subscription_id(session, fresh=True)
    if ours is None or event.subscription_id != ours:
        raise NotOurSubscription(event.subscription_id)


def receive_event(deps: Deps, event: WebhookEvent) -> None:
    """Make a webhook event durable: in the Redis inbox, or in the database without Redis.

    The inbox is one round trip; a worker moves its entries into the database and
    enqueues them after that commit. If Redis cannot take the event, it is stored
    and enqueued here instead, so an acknowledged event is never lost.
    """
    check_subscription(deps, event)
    if deps.inbox is not None:
        try:
            deps.inbox.put(event, deps.clock())
        except redis.RedisError:
            log.warning("inbox unavailable; storing event %s directly", event.dedupe_key()[:12])
        else:
            return
    event_id, fresh = store_event(deps, event, deps.clock())
    if fresh:
        deps.enqueue(event_id)


def _event_row(deps: Deps, event: WebhookEvent, received_at: float) -> Event:
    received = datetime.fromtimestamp(received_at, UTC)
    return Event(
        dedupe_key=event.dedupe_key(),
        subscription_id=event.subscription_id,
        object_type=event.object_type,
        object_id=event.object_id,
        aspect_type=event.aspect_type,
        owner_id=event.owner_id,
        event_time=event.event_time,
        updates=event.updates,
        received_at=received,
        next_check_at=received
        + timedelta(seconds=deps.settings.processing_delay_s + deps.settings.sweep_after_s),
    )


def store_event(deps: Deps, event: WebhookEvent, received_at: float) -> tuple[int, bool]:
    """Insert one event. A repeat delivery finds the first copy (same dedupe key) and is
    enqueued again only while that copy is still pending, so a lost enqueue heals itself.
    """
    with deps.session_factory() as session:
        row = _event_row(deps, event, received_at)
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


def store_events(deps: Deps, batch: list[tuple[WebhookEvent, float]]) -> list[int]:
    """Insert a batch from the inbox in one commit; return the ids to enqueue.

    Duplicates within the batch and of stored events collapse onto one row, which
    is enqueued again only while it is pending (as for a single event).
    """
    rows: dict[str, Event] = {}
    for event, received_at in batch:
        rows.setdefault(event.dedupe_key(), _event_row(deps, event, received_at))
    with deps.session_factory() as session:
        existing = {
            row.dedupe_key: row
            for row in session.scalars(sa.select(Event).where(Event.dedupe_key.in_(list(rows))))
        }
        fresh = [row for key, row in rows.items() if key not in existing]
        session.add_all(fresh)
        session.commit()
        again = [row.id for row in existing.values() if row.status == "pending"]
        return [row.id for row in fresh] + again


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


def connect_athlete(deps: Deps, code: str, granted_scope: str | None = None) -> int:
    """Exchange an OAuth code, read the athlete and store them. Returns the athlete id.

    The granted scope comes from the redirect (``granted_scope``: Strava puts the
    accepted scopes there). Without write access nothing is stored and
    ``MissingScope`` says what is missing. After the commit the athlete's last
    eight weeks are queued for the backfill.
    """
    tokens, token_scope = deps.strava.exchange_code(code)
    # Strava's token answer carries no scope (stravalib drops it anyway); the redirect
    # does. With neither (a code from the sandbox's control API) there is nothing to check.
    scope = token_scope or granted_scope
    missing = missing_scopes(scope) if scope is not None else []
    if missing:
        raise MissingScope(missing)
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
        athlete.scope = (scope or "")[:255]
        athlete.needs_reauth = False
        if deps.enqueue_backfill is not None:
            athlete.backfill_status = "pending"
        session.commit()
    if deps.enqueue_backfill is not None:
        deps.enqueue_backfill(profile.id)
    return profile.id


def forget_athlete(session: Session, athlete_id: int) -> None:
    """Delete every row we hold about an athlete (Strava's API agreement, strava-api.md §2)."""
    session.execute(sa.delete(Activity).where(Activity.athlete_id == athlete_id))
    session.execute(sa.delete(Event).where(Event.owner_id == athlete_id))
    session.execute(sa.delete(Athlete).where(Athlete.id == athlete_id))


def fresh_tokens(deps: Deps, session: Session, athlete: Athlete, force: bool = False) -> Tokens:
    """The athlete's tokens, refreshed first if they are about to expire (or ``force``).

    Strava invalidates the old refresh token as soon as it issues a new one
    (strava-api.md §2), so the refresh runs under a per-athlete lock and the
    rotated tokens are committed before anything else uses them. Inside the lock
    the tokens are read in a session of their own: the caller's transaction may be
    an older snapshot (SQLite's is) that cannot see another worker's rotation.
    """
    stale = Tokens(athlete.access_token, athlete.refresh_token, athlete.expires_at)
    if not force and not deps.strava.needs_refresh(stale):
        return stale
    with deps.lock(f"tokens:{athlete.id}"), deps.session_factory() as own:
        current = own.get(Athlete, athlete.id)
        if current is None:
            raise AccessRevoked("the athlete disconnected meanwhile")
        tokens = Tokens(current.access_token, current.refresh_token, current.expires_at)
        rotated_meanwhile = tokens.access_token != stale.access_token
        if deps.strava.needs_refresh(tokens) or (force and not rotated_meanwhile):
            tokens = deps.strava.refresh(tokens.refresh_token)
            current.access_token = tokens.access_token
            current.refresh_token = tokens.refresh_token
            current.expires_at = tokens.expires_at
            own.commit()
    # The caller's copy learns the new values without them counting as its own changes.
    set_committed_value(athlete, "access_token", tokens.access_token)
    set_committed_value(athlete, "refresh_token", tokens.refresh_token)
    set_committed_value(athlete, "expires_at", tokens.expires_at)
    return tokens


def coaching_settings(athlete: Athlete) -> coaching.AthleteSettings:
    return coaching.AthleteSettings(
        units=athlete.effective_units(),  # type: ignore[arg-type]
        equipment=athlete.equipment,  # type: ignore[arg-type]
        level=athlete.level,  # type: ignore[arg-type]
        circuits_per_week=athlete.circuits_per_week,
        include_volume=athlete.include_volume is not False,
        timezone=athlete.effective_timezone(),
    )


def run_history(session: Session, athlete_id: int, until: datetime) -> list[coaching.Run]:
    rows = session.scalars(
        sa.select(Activity)
        .where(Activity.athlete_id == athlete_id)
        .where(Activity.is_run.is_(True))
        .where(Activity.start >= until - timedelta(days=HISTORY_DAYS))
        .where(Activity.start <= until)
        .order_by(Activity.start)
    ).all()
    # A run imported from a file stops counting once the same run arrives from Strava.
    superseded = superseded_file_runs(session, athlete_id, rows)
    return [as_run(row) for row in rows if row.id not in superseded]


def as_run(row: Activity) -> coaching.Run:
    return coaching.Run(
        id=str(row.id),
        start=row.start,
        distance_m=row.distance_m,
        moving_time_s=row.moving_time_s,
        sport_type=row.sport_type or "Run",
        utc_offset_s=row.utc_offset_s or 0,
    )


# Events ----------------------------------------------------------------------


def process_event(deps: Deps, event_id: int) -> str:
    """Handle one stored event once. Returns what happened, for the logs.

    Transient Strava errors propagate (the task retries); everything that will
    not get better by retrying ends the event as done or ignored, with a reason.
    An event that keeps failing is parked as failed after ``event_max_attempts``
    runs, where ``postrun events --failed`` shows it.
    """
    with deps.session_factory() as session:
        event = session.get(Event, event_id)
        if event is None:
            return "gone: the event was deleted with its athlete"
        if event.status != "pending":
            return f"already {event.status}"
        if event.attempts >= deps.settings.event_max_attempts:
            _finish(deps, event, "failed", f"gave up after {event.attempts} attempts")
            session.commit()
            return f"failed: gave up after {event.attempts} attempts"
        event.attempts += 1
        session.commit()
        activity_id = event.object_id if event.object_type == "activity" else None
        try:
            with log_context(athlete_id=event.owner_id, activity_id=activity_id):
                status, outcome = _dispatch(deps, session, event)
        except Exception as error:
            session.rollback()
            _record_error(deps, event_id, error, counts=not isinstance(error, DEFERRALS))
            raise
        # A deauthorization deletes the athlete's events, this one included.
        if session.get(Event, event_id) is not None:
            _finish(deps, event, status, outcome)
        session.commit()
        log.info("event %s: %s (%s)", event_id, status, outcome)
        return f"{status}: {outcome}"


def _finish(deps: Deps, event: Event, status: str, outcome: str) -> None:
    event.status = status
    event.outcome = outcome[:255]
    event.finished_at = deps.now()


def _record_error(deps: Deps, event_id: int, error: BaseException, counts: bool = True) -> None:
    """Keep the error; a deferral (budget, lock, not yet readable) is not a failed attempt."""
    with deps.session_factory() as session:
        event = session.get(Event, event_id)
        if event is not None:
            event.last_error = f"{type(error).__name__}: {error}"[:2000]
            if not counts:
                event.attempts = max(0, event.attempts - 1)
            session.commit()


def defer_event(deps: Deps, event_id: int, seconds: float) -> None:
    """A worker will try again in ``seconds``: keep the sweeper away until well after."""
    with deps.session_factory() as session:
        event = session.get(Event, event_id)
        if event is not None and event.status == "pending":
            wait = seconds + deps.settings.sweep_after_s
            event.next_check_at = deps.now() + timedelta(seconds=wait)
            session.commit()


def park_event(deps: Deps, event_id: int, error: BaseException) -> None:
    """Mark an event as failed for good, keeping its last error for ``postrun events``."""
    with deps.session_factory() as session:
        event = session.get(Event, event_id)
        if event is not None and event.status == "pending":
            event.last_error = f"{type(error).__name__}: {error}"[:2000]
            _finish(deps, event, "failed", "gave up: retries exhausted")
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
        # Only a new type, or a title that adds or drops the skip tag, changes what we write.
        title = event.updates.get("title")
        row = session.get(Activity, event.object_id)
        was_skipped = row is not None and row.status == "skipped"
        if title is None or has_skip_tag(str(title)) == was_skipped:
            changed = ", ".join(sorted(event.updates)) or "nothing"
            return "ignored", f"update of {changed} needs no action"
    if event.aspect_type not in ("create", "update"):
        return "ignored", f"unknown aspect type {event.aspect_type!r}"
    if athlete.needs_reauth:
        return "ignored", "athlete must reconnect to Strava"
    if athlete.backfill_status == "pending" and deps.now() - event.received_at < BACKFILL_WAIT:
        # The first note should already know the athlete's usual week: wait for the
        # eight-week import (it runs at low priority), but not for ever.
        raise RetryLater(
            "waiting for the eight-week import",
            BACKFILL_RECHECK_S,
            BACKFILL_WAIT.total_seconds(),
        )
    try:
        return annotate_activity(deps, session, athlete, event)
    except AccessRevoked:
        session.rollback()
        athlete.needs_reauth = True
        session.commit()
        return "ignored", "Strava refused the athlete's token: marked as needing to reconnect"


def annotate_activity(
    deps: Deps, session: Session, athlete: Athlete, event: Event
) -> tuple[str, str]:
    """Read one activity and, if it is a finished run, write our block into it."""
    activity_id, aspect = event.object_id, event.aspect_type
    with deps.lock(f"activity:{activity_id}"):
        row = session.get(Activity, activity_id)
        if aspect == "create" and row is not None and row.status in ("annotated", "skipped"):
            # A repeated create (a retry, or a privacy flip): the run already has its
            # note, and re-reading it would only spend the athlete's API budget.
            return "done", "already annotated"
        try:
            data = _as_athlete(
                deps, session, athlete, lambda t: deps.strava.get_activity(t, activity_id)
            )
        except NotFound:
            age = deps.clock() - event.event_time
            if aspect == "create" and age < deps.settings.not_found_grace_s:
                raise RetryLater(
                    "activity not readable yet", 30.0, deps.settings.not_found_grace_s
                ) from None
            return "ignored", "activity not found on Strava"
        if data.athlete_id and data.athlete_id != athlete.id:
            return "ignored", "activity belongs to another athlete"
        read_at = deps.clock()
        row = _remember(session, row, athlete.id, data)
        follow_timezone(session, athlete, data)
        if has_skip_tag(data.name) or has_skip_tag(data.description or ""):
            return _skip(deps, session, athlete, row, data)
        is_run, reason = coaching.is_finished_run(
            sport_type=data.sport_type,
            activity_type=data.activity_type,
            distance_m=data.distance_m,
            moving_time_s=data.moving_time_s,
        )
        if not is_run:
            return _leave_non_run(deps, session, athlete, row, data, reason)
        was_annotated = row.status == "annotated"
        row.is_run = True
        if was_annotated:
            # Retyped from one kind of run to another: the note stands. Rewriting it would
            # be a second write, and if the athlete removed it, that was their choice.
            session.commit()
            return "done", "still a run: note kept"
        session.flush()
        policy = write_policy(athlete)
        if not policy.write:
            # The run still joins the history, so the volume figures stay right.
            row.status = policy.status
            row.reason = policy.reason[:255]
            session.commit()
            return "done", policy.reason
        run = as_run(row)
        history = run_history(session, athlete.id, run.start)
        suggestion = coaching.suggest(coaching_settings(athlete), history, run)
        block = description.render_block(suggestion.text)
        current = data.description
        if deps.clock() - read_at >= deps.settings.reread_after_s:
            # Strava has no conditional update: the longer since our read, the likelier the
            # athlete typed meanwhile. Read again and merge into the newest text.
            current = _as_athlete(
                deps, session, athlete, lambda t: deps.strava.get_activity(t, activity_id)
            ).description
        wanted = description.merge(current, block, row.written_block)
        wrote = wanted != (current or "")
        if wrote:
            session.commit()  # the run joins the history even if the write fails
            _as_athlete(
                deps,
                session,
                athlete,
                lambda t: deps.strava.update_description(t, activity_id, wanted),
            )
        row.status = "annotated"
        row.reason = ""
        row.written_block = block
        row.annotated_at = deps.now()
        session.commit()
        return "done", "annotated" if wrote else "already annotated (description unchanged)"


def _as_athlete(deps: Deps, session: Session, athlete: Athlete, action: Callable[[Tokens], T]) -> T:
    """Call Strava with the athlete's token; on a 401, refresh once and try again.

    Our idea of the expiry can be wrong (a clock, a token rotated or expired on
    Strava's side mid-task); only a refresh that Strava refuses, or a 401 with a
    token it has just issued, means the athlete really revoked access.
    """
    tokens = fresh_tokens(deps, session, athlete)
    try:
        return action(tokens)
    except AccessRevoked:
        return action(fresh_tokens(deps, session, athlete, force=True))


def _remember(
    session: Session, row: Activity | None, athlete_id: int, data: ActivityData
) -> Activity:
    if row is None:
        row = Activity(id=data.id, athlete_id=athlete_id)
        session.add(row)
    row.name = data.name[:255]
    row.sport_type = (data.sport_type or data.activity_type or "")[:40]
    row.start = data.start
    row.utc_offset_s = data.utc_offset_s
    row.distance_m = data.distance_m
    row.moving_time_s = data.moving_time_s
    return row


def follow_timezone(session: Session, athlete: Athlete, data: ActivityData) -> None:
    """Take the athlete's time zone from their newest activity, as Strava reports it.

    Only the newest: editing an old activity recorded on a trip must not move the
    athlete's weeks back to that trip's zone.
    """
    if data.timezone is None or data.timezone == athlete.timezone:
        return
    newer = session.scalar(
        sa.select(Activity.id)
        .where(Activity.athlete_id == athlete.id, Activity.start > data.start)
        .where(Activity.source != FILE_SOURCE)
        .limit(1)
    )
    if newer is None:
        athlete.timezone = data.timezone


# Written in a title or description, this keeps postrun off an activity (a race, a group
# run). The same idea as Strautomator's ignore hashtag (peers-and-evidence.md §A.3).
SKIP_TAG = "#nopostrun"


def has_skip_tag(text: str) -> bool:
    return SKIP_TAG in text.lower()


def _skip(
    deps: Deps, session: Session, athlete: Athlete, row: Activity, data: ActivityData
) -> tuple[str, str]:
    """Leave a tagged activity alone, taking our block back out if it is there."""
    row.status = "skipped"
    row.reason = f"skipped: tagged {SKIP_TAG}"
    cleaned = description.merge(data.description, None, row.written_block)
    session.commit()
    if cleaned == (data.description or ""):
        return "done", f"tagged {SKIP_TAG}: left alone"
    _as_athlete(
        deps, session, athlete, lambda t: deps.strava.update_description(t, row.id, cleaned)
    )
    row.written_block = None
    session.commit()
    return "done", f"tagged {SKIP_TAG}: our note removed"


def _leave_non_run(
    deps: Deps,
    session: Session,
    athlete: Athlete,
    row: Activity,
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
        _as_athlete(
            deps, session, athlete, lambda t: deps.strava.update_description(t, row.id, cleaned)
        )
        row.written_block = None
        session.commit()
        return "done", f"not a run ({reason}): our note removed"
    row.written_block = None
    session.commit()
    return "done", f"not a run ({reason}): left untouched"


def list_events(deps: Deps, status: str, limit: int = 200) -> list[Event]:
    with deps.session_factory() as session:
        return list(
            session.scalars(
                sa.select(Event).where(Event.status == status).order_by(Event.id).limit(limit)
            )
        )


def retry_events(deps: Deps, event_ids: list[int] | None) -> list[int]:
    """Put failed events (all of them when ``event_ids`` is None) back in the queue."""
    with deps.session_factory() as session:
        query = sa.select(Event).where(Event.status == "failed")
        if event_ids is not None:
            query = query.where(Event.id.in_(event_ids))
        events = list(session.scalars(query))
        for event in events:
            event.status = "pending"
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
                .where(Event.status == "pending")
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


# Accounts and settings ---------------------------------------------------------

# What postrun asks for (README): read every activity, write descriptions, read units.
NEEDED_SCOPES = ("activity:read_all", "activity:write", "profile:read_all")


class MissingScope(Exception):
    """The athlete unticked a permission postrun cannot work without."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(", ".join(missing))
        self.missing = missing


def missing_scopes(scope: str) -> list[str]:
    """The scopes postrun cannot do without that ``scope`` (Strava's comma list) lacks.

    ``profile:read_all`` only gives the athlete's units, so it is not required;
    ``activity:read`` (public activities only) is enough to annotate public runs.
    """
    granted = {part.strip() for part in scope.split(",")}
    missing = []
    if not granted & {"activity:read_all", "activity:read"}:
        missing.append("activity:read_all")
    if "activity:write" not in granted:
        missing.append("activity:write")
    return missing


@dataclasses.dataclass(frozen=True, slots=True)
class WritePolicy:
    """What the pipeline may do with a finished run of this athlete.

    ``write`` False means: keep the run in the history (so the volume stays right)
    but send nothing to Strava; ``reason`` says why, for the history page.
    """

    write: bool
    status: str  # the Activity.status to record when nothing is written
    reason: str


def write_policy(athlete: Athlete) -> WritePolicy:
    """Pure: the athlete's pause and write-mode settings as one decision."""
    if athlete.paused:
        return WritePolicy(False, "skipped", "paused: postrun wrote nothing")
    if athlete.write_mode == "preview":
        return WritePolicy(False, "skipped", "preview only: nothing written to Strava")
    return WritePolicy(True, "annotated", "")


# Runs imported from files (service.uploads) ------------------------------------

# Two records are one run when they start within two minutes of each other and
# their distances differ by at most 5 % of the longer one.
SAME_RUN_START_S = 120
SAME_RUN_DISTANCE = 0.05
FILE_SOURCE = "file"


def same_run(start_a: datetime, distance_a: float, start_b: datetime, distance_b: float) -> bool:
    """Pure: whether two records (Strava's or a file's) describe the same run."""
    if abs((start_a - start_b).total_seconds()) > SAME_RUN_START_S:
        return False
    return abs(distance_a - distance_b) <= SAME_RUN_DISTANCE * max(distance_a, distance_b)


def superseded_file_runs(session: Session, athlete_id: int, rows: Iterable[Activity]) -> set[int]:
    """The ids of the file runs among ``rows`` that a run from Strava matches (``same_run``).

    Such a file run no longer counts: the Strava copy stands for it, whichever of the
    two arrived first. One query, and only when ``rows`` hold a file run at all.
    """
    files = [row for row in rows if row.source == FILE_SOURCE and row.is_run]
    if not files:
        return set()
    margin = timedelta(seconds=SAME_RUN_START_S)
    strava = session.execute(
        sa.select(Activity.start, Activity.distance_m)
        .where(Activity.athlete_id == athlete_id)
        .where(Activity.is_run.is_(True))
        .where(Activity.source != FILE_SOURCE)
        .where(Activity.start >= min(row.start for row in files) - margin)
        .where(Activity.start <= max(row.start for row in files) + margin)
    ).all()
    return {
        row.id
        for row in files
        if any(same_run(row.start, row.distance_m, s.start, s.distance_m) for s in strava)
    }
