"""Annotation: read one activity and, if it is a finished run, write our block into it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

import coaching
from service.accounts.policy import write_policy
from service.accounts.tokens import fresh_tokens
from service.pipeline import description
from service.pipeline.deps import Deps
from service.pipeline.errors import RetryLater
from service.pipeline.history import as_run
from service.pipeline.history import coaching_settings
from service.pipeline.history import run_history
from service.storage.models import Activity
from service.storage.models import ActivitySource
from service.storage.models import ActivityStatus
from service.storage.models import Athlete
from service.storage.models import Event
from service.storage.rows import activity_row
from service.storage.rows import clip
from service.strava.errors import AccessRevoked
from service.strava.errors import NotFound
from service.strava.payloads import ActivityData
from service.strava.payloads import Tokens

T = TypeVar("T")


def annotate_activity(
    deps: Deps, session: Session, athlete: Athlete, event: Event
) -> tuple[str, str]:
    """Read one activity and, if it is a finished run, write our block into it."""
    activity_id, aspect = event.object_id, event.aspect_type
    with deps.lock(f"activity:{activity_id}"):
        row = session.get(Activity, activity_id)
        if (
            aspect == "create"
            and row is not None
            and row.status in (ActivityStatus.ANNOTATED, ActivityStatus.SKIPPED)
        ):
            # A repeated create (a retry, or a privacy flip): the run already has its
            # note, and re-reading it would only spend the athlete's API budget.
            return "done", "already annotated"
        try:
            data = as_athlete(
                deps, session, athlete, lambda t: deps.strava.get_activity(t, activity_id)
            )
        except NotFound:
            # From our own receipt, not the sender's event_time, which anyone can set.
            age = (deps.now() - event.received_at).total_seconds()
            grace = deps.settings.not_found_grace_s
            if aspect == "create" and age < grace:
                # Every 30 s within the grace (more often only if the grace is short).
                raise RetryLater("activity not readable yet", min(30.0, grace / 3), grace) from None
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
        was_annotated = row.status == ActivityStatus.ANNOTATED
        row.is_run = True
        if was_annotated:
            # Retyped from one kind of run to another: the note stands. Rewriting it would
            # be a second write, and if the athlete removed it, that was their choice.
            session.commit()
            return "done", "still a run: note kept"
        session.flush()
        policy = write_policy(athlete.paused, athlete.write_mode)
        if not policy.write:
            # The run still joins the history, so the volume figures stay right. It
            # prescribed no circuit: only notes written to Strava count as sessions
            # (docs/coaching.md#progression).
            row.circuit = False
            row.status = policy.status
            row.reason = clip(Activity.reason, policy.reason)
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
            current = as_athlete(
                deps, session, athlete, lambda t: deps.strava.get_activity(t, activity_id)
            ).description
        wanted = description.merge(current, block, row.written_block)
        wrote = wanted != (current or "")
        if wrote:
            session.commit()  # the run joins the history even if the write fails
            as_athlete(
                deps,
                session,
                athlete,
                lambda t: deps.strava.update_description(t, activity_id, wanted),
            )
        row.status = ActivityStatus.ANNOTATED
        row.reason = ""
        row.written_block = block
        # The note on Strava now prescribes the circuit or not; the next runs count their
        # sessions from this flag (docs/coaching.md#progression).
        row.circuit = suggestion.circuit is not None
        row.annotated_at = deps.now()
        session.commit()
        return "done", "annotated" if wrote else "already annotated (description unchanged)"


def as_athlete(deps: Deps, session: Session, athlete: Athlete, action: Callable[[Tokens], T]) -> T:
    """Call Strava with the athlete's token; on a 401, refresh once and try again.

    Our idea of the expiry can be wrong (a clock, a token rotated or expired on
    Strava's side mid-task); only a refresh that Strava refuses, or a 401 with a
    token it has just issued, means the athlete really revoked access.
    """
    deps.strava.charge_athlete(athlete.id)
    tokens = fresh_tokens(deps, session, athlete)
    try:
        return action(tokens)
    except AccessRevoked:
        deps.strava.charge_athlete(athlete.id)
        return action(fresh_tokens(deps, session, athlete, force=True))


def _remember(
    session: Session, row: Activity | None, athlete_id: int, data: ActivityData
) -> Activity:
    fresh = row is None
    row = strava_activity_row(row, athlete_id, data)
    if fresh:
        session.add(row)
    return row


def strava_activity_row(row: Activity | None, athlete_id: int, data: ActivityData) -> Activity:
    """``row`` (a new one if None) holding what Strava says about the activity."""
    return activity_row(
        row,
        activity_id=data.id,
        athlete_id=athlete_id,
        name=data.name,
        sport_type=data.sport_type or data.activity_type or "",
        start=data.start,
        utc_offset_s=data.utc_offset_s,
        distance_m=data.distance_m,
        moving_time_s=data.moving_time_s,
        workout_type=data.workout_type,
    )


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
        .where(Activity.source != ActivitySource.FILE)
        .limit(1)
    )
    if newer is None:
        athlete.timezone = data.timezone


# Written in a title or description, this keeps postrun off an activity (a race, a group
# run). The same idea as Strautomator's ignore hashtag (docs/sources.md#the-nopostrun-skip-tag).
SKIP_TAG = "#nopostrun"


def has_skip_tag(text: str) -> bool:
    return SKIP_TAG in text.lower()


def _skip(
    deps: Deps, session: Session, athlete: Athlete, row: Activity, data: ActivityData
) -> tuple[str, str]:
    """Leave a tagged activity alone, taking our block back out if it is there."""
    row.status = ActivityStatus.SKIPPED
    row.reason = f"skipped: tagged {SKIP_TAG}"
    row.circuit = False  # our note comes out, so it prescribes nothing
    cleaned = description.merge(data.description, None, row.written_block)
    session.commit()
    if cleaned == (data.description or ""):
        return "done", f"tagged {SKIP_TAG}: left alone"
    as_athlete(deps, session, athlete, lambda t: deps.strava.update_description(t, row.id, cleaned))
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
    row.circuit = False
    row.status = ActivityStatus.NOT_RUN
    row.reason = clip(Activity.reason, reason)
    cleaned = description.merge(data.description, None, row.written_block)
    if cleaned != (data.description or ""):
        # Retyped from a run to something else: take our block back out.
        session.commit()
        as_athlete(
            deps, session, athlete, lambda t: deps.strava.update_description(t, row.id, cleaned)
        )
        row.written_block = None
        session.commit()
        return "done", f"not a run ({reason}): our note removed"
    row.written_block = None
    session.commit()
    return "done", f"not a run ({reason}): left untouched"
