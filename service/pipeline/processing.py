"""The event state machine: one stored event, handled once, to done, ignored or failed.

``process_event`` counts the attempt, routes the event (``_dispatch``) and records
the outcome; ``defer_event`` and ``park_event`` are what a task calls after a
transient error.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.accounts.forget import forget_athlete
from service.logs import log_context
from service.pipeline.annotation import annotate_activity
from service.pipeline.annotation import as_athlete
from service.pipeline.annotation import has_skip_tag
from service.pipeline.deps import Deps
from service.pipeline.errors import RetryLater
from service.storage.models import Activity
from service.storage.models import ActivityStatus
from service.storage.models import Athlete
from service.storage.models import BackfillStatus
from service.storage.models import Event
from service.storage.models import EventStatus
from service.storage.rows import clip
from service.strava.errors import AccessRevoked
from service.strava.errors import RateLimited
from service.strava.locks import LockBusy

log = logging.getLogger(__name__)


# Waiting, not failing: these do not use up an event's attempts.
DEFERRALS = (RateLimited, RetryLater, LockBusy)


# A run that arrives while the athlete's backfill is still going waits for it this long.
BACKFILL_WAIT = timedelta(minutes=15)
BACKFILL_RECHECK_S = 20.0
WAITING_FOR_IMPORT = "waiting for the eight-week import"


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
        if event.status != EventStatus.PENDING:
            return f"already {event.status}"
        if event.attempts >= deps.settings.event_max_attempts:
            _finish(deps, event, EventStatus.FAILED, f"gave up after {event.attempts} attempts")
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


def _finish(deps: Deps, event: Event, status: EventStatus | str, outcome: str) -> None:
    event.status = status
    event.outcome = clip(Event.outcome, outcome)
    event.finished_at = deps.now()


def _record_error(deps: Deps, event_id: int, error: BaseException, counts: bool = True) -> None:
    """Keep the error; a deferral (budget, lock, not yet readable) is not a failed attempt."""
    with deps.session_factory() as session:
        event = session.get(Event, event_id)
        if event is not None:
            event.last_error = clip(Event.last_error, f"{type(error).__name__}: {error}")
            if not counts:
                event.attempts = max(0, event.attempts - 1)
            session.commit()


def defer_event(deps: Deps, event_id: int, seconds: float) -> None:
    """A worker will try again in ``seconds``: keep the sweeper away until well after."""
    with deps.session_factory() as session:
        event = session.get(Event, event_id)
        if event is not None and event.status == EventStatus.PENDING:
            wait = seconds + deps.settings.sweep_after_s
            event.next_check_at = deps.now() + timedelta(seconds=wait)
            session.commit()


def park_event(deps: Deps, event_id: int, error: BaseException) -> None:
    """Mark an event as failed for good, keeping its last error for ``postrun events``."""
    with deps.session_factory() as session:
        event = session.get(Event, event_id)
        if event is not None and event.status == EventStatus.PENDING:
            event.last_error = clip(Event.last_error, f"{type(error).__name__}: {error}")
            _finish(deps, event, EventStatus.FAILED, "gave up: retries exhausted")
            session.commit()


def _dispatch(deps: Deps, session: Session, event: Event) -> tuple[str, str]:
    if event.object_type == "athlete":
        if event.aspect_type == "update" and str(event.updates.get("authorized")) == "false":
            return _confirm_deauthorization(deps, session, event.owner_id)
        return EventStatus.IGNORED, f"athlete {event.aspect_type} needs no action"
    if event.object_type != "activity":
        return EventStatus.IGNORED, f"unknown object type {event.object_type!r}"
    athlete = session.get(Athlete, event.owner_id)
    if athlete is None:
        return EventStatus.IGNORED, "unknown athlete"
    if event.aspect_type == "delete":
        session.execute(sa.delete(Activity).where(Activity.id == event.object_id))
        return EventStatus.DONE, "activity deleted: forgotten"
    if event.aspect_type == "update" and "type" not in event.updates:
        # Only a new type, or a title that adds or drops the skip tag, changes what we write.
        title = event.updates.get("title")
        row = session.get(Activity, event.object_id)
        was_skipped = row is not None and row.status == ActivityStatus.SKIPPED
        if title is None or has_skip_tag(str(title)) == was_skipped:
            changed = ", ".join(sorted(event.updates)) or "nothing"
            return EventStatus.IGNORED, f"update of {changed} needs no action"
    if event.aspect_type not in ("create", "update"):
        return EventStatus.IGNORED, f"unknown aspect type {event.aspect_type!r}"
    if athlete.needs_reauth:
        return EventStatus.IGNORED, "athlete must reconnect to Strava"
    if (
        athlete.backfill_status == BackfillStatus.PENDING
        and deps.now() - event.received_at < BACKFILL_WAIT
    ):
        # The first note should already know the athlete's usual week: wait for the
        # eight-week import (it runs at low priority), but not for ever.
        raise RetryLater(WAITING_FOR_IMPORT, BACKFILL_RECHECK_S, BACKFILL_WAIT.total_seconds())
    try:
        return annotate_activity(deps, session, athlete, event)
    except AccessRevoked:
        session.rollback()
        athlete.needs_reauth = True
        session.commit()
        return (
            EventStatus.IGNORED,
            "Strava refused the athlete's token: marked as needing to reconnect",
        )


def _confirm_deauthorization(deps: Deps, session: Session, athlete_id: int) -> tuple[str, str]:
    """Delete an athlete only once Strava confirms they revoked postrun's access.

    Anyone who knows the subscription id can send a deauthorization event, and
    Strava signs nothing; so ask Strava. A token it refuses (a 401, then a refresh
    it refuses) confirms the event; a token that still works means it was not
    Strava's, and nothing is deleted.
    """
    athlete = session.get(Athlete, athlete_id)
    if athlete is None:
        # Already forgotten (a disconnect from the settings page comes back as this
        # event): sweep up what arrived meanwhile, this event included.
        forget_athlete(session, athlete_id)
        return EventStatus.DONE, "athlete already forgotten"
    try:
        as_athlete(deps, session, athlete, deps.strava.get_athlete)
    except AccessRevoked:
        session.rollback()
        forget_athlete(session, athlete_id)
        return (
            EventStatus.DONE,
            "athlete deauthorized (confirmed by Strava): all their data deleted",
        )
    log.warning("deauthorization of athlete %s not confirmed by Strava; kept", athlete_id)
    return (
        EventStatus.IGNORED,
        "deauthorization not confirmed: Strava still accepts the token; kept",
    )


def events_waiting_for_import(deps: Deps, athlete_id: int) -> list[tuple[int, float]]:
    """The athlete's events deferred until their import ends, with the seconds each must
    still wait for its processing delay (0 once it has passed).

    The backfill task hands them on the moment the import is done, so a first run
    waits for the import itself, not for its deferral's next recheck.
    """
    with deps.session_factory() as session:
        rows = session.execute(
            sa.select(Event.id, Event.received_at)
            .where(Event.owner_id == athlete_id, Event.status == EventStatus.PENDING)
            .where(Event.last_error == f"{RetryLater.__name__}: {WAITING_FOR_IMPORT}")
            .order_by(Event.id)
        ).all()
    now = deps.now()
    delay = deps.settings.processing_delay_s
    return [
        (event_id, max(0.0, delay - (now - received_at).total_seconds()))
        for event_id, received_at in rows
    ]
