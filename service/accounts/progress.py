"""What the settings page says about the athlete's history filling and their first note.

Read from the database on each page load, so a reload shows the progress without
any JavaScript: the backfill records how many runs it has found after each page
it reads (``service.pipeline.backfill``), and pending events say when a note is due.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coaching import localtime
from service.accounts.policy import write_policy
from service.storage.models import Activity
from service.storage.models import Athlete
from service.storage.models import BackfillStatus
from service.storage.models import Event
from service.storage.models import EventStatus


@dataclasses.dataclass(frozen=True, slots=True)
class Progress:
    backfill: str  # none | pending | done | failed
    runs_found: int
    first_note: str | None  # a sentence, or None once a note has been written


def delay_words(seconds: int) -> str:
    if seconds < 60:
        return "within a minute"
    minutes = round(seconds / 60)
    return "about a minute" if minutes == 1 else f"about {minutes} minutes"


def first_note(
    session: Session, athlete: Athlete, delay_s: int, now: datetime, backfilling: bool
) -> str | None:
    """When the athlete's first note will be written, or None if one already was."""
    if athlete.needs_reauth:
        return None  # the page already asks them to connect again
    written = session.scalar(
        sa.select(sa.func.count())
        .select_from(Activity)
        .where(Activity.athlete_id == athlete.id, Activity.written_block.is_not(None))
    )
    if written:
        return None
    policy = write_policy(athlete.paused, athlete.write_mode)
    if not policy.write:
        return (
            "Paused: no note goes to Strava until you resume."
            if athlete.paused
            else "Preview only: your runs get their notes on this page, not on Strava."
        )
    after_import = ", once the import above is done" if backfilling else ""
    queued = session.scalar(
        sa.select(sa.func.min(Event.received_at)).where(
            Event.owner_id == athlete.id,
            Event.object_type == "activity",
            Event.aspect_type == "create",
            Event.status == EventStatus.PENDING,
        )
    )
    if queued is not None:
        due = max(queued + timedelta(seconds=delay_s), now)
        when = localtime.when(due, athlete.effective_timezone())
        return f"A run of yours is waiting: its note is due from {when}{after_import}."
    sentence = (
        f"Your first note goes in {delay_words(delay_s)} after your next run reaches"
        f" Strava{after_import}."
    )
    if delay_s >= 60:
        sentence += " The wait leaves you time to edit the activity first."
    return sentence


def progress(session: Session, athlete: Athlete, delay_s: int, now: datetime) -> Progress:
    backfilling = athlete.backfill_status == BackfillStatus.PENDING
    return Progress(
        backfill=athlete.backfill_status,
        runs_found=athlete.backfill_found or 0,
        first_note=first_note(session, athlete, delay_s, now, backfilling),
    )
