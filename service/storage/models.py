"""What postrun stores: athletes, webhook events, and the activities it has seen."""

from __future__ import annotations

import enum
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from service.storage import crypto


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Store aware datetimes as UTC and give them back aware (SQLite drops the zone)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class EncryptedToken(sa.types.TypeDecorator[str]):
    """A Strava token, stored as Fernet ciphertext (``service.storage.crypto``), read back as text.

    The key comes with the engine (``crypto.attach``); an engine without one cannot
    read or write tokens at all, rather than fall back to plaintext.
    """

    impl = sa.String(512)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else crypto.cipher_for(dialect).encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else crypto.cipher_for(dialect).decrypt(value)


class EventStatus(enum.StrEnum):
    """An event's ``status``: pending until handled, then one of the other three."""

    PENDING = "pending"
    DONE = "done"
    IGNORED = "ignored"
    FAILED = "failed"


class ActivityStatus(enum.StrEnum):
    """An activity's ``status``: what postrun did with it."""

    PENDING = "pending"
    ANNOTATED = "annotated"
    NOT_RUN = "not_run"
    SKIPPED = "skipped"
    # Backfilled from before the athlete connected, or read from a file.
    IMPORTED = "imported"


class ActivitySource(enum.StrEnum):
    """Where an activity row came from."""

    STRAVA = "strava"
    FILE = "file"


class BackfillStatus(enum.StrEnum):
    """The eight-week import after connecting."""

    NONE = "none"
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class Base(DeclarativeBase):
    pass


class Athlete(Base):
    __tablename__ = "athletes"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    firstname: Mapped[str] = mapped_column(sa.String(100), default="")
    access_token: Mapped[str] = mapped_column(EncryptedToken)
    refresh_token: Mapped[str] = mapped_column(EncryptedToken)
    expires_at: Mapped[int] = mapped_column(sa.BigInteger)
    scope: Mapped[str] = mapped_column(sa.String(255), default="")
    # Strava's "meters" or "feet"; None until we have read the detailed athlete.
    measurement_preference: Mapped[str | None] = mapped_column(sa.String(10), nullable=True)
    # "strava" follows measurement_preference; "metric" or "imperial" override it.
    units: Mapped[str] = mapped_column(sa.String(10), default="strava")
    equipment: Mapped[str] = mapped_column(sa.String(10), default="gym")
    level: Mapped[str] = mapped_column(sa.String(10), default="auto")
    circuits_per_week: Mapped[int] = mapped_column(sa.Integer, default=3)
    needs_reauth: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # Settings page: nothing is written while paused; "preview" keeps notes off Strava.
    paused: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    write_mode: Mapped[str] = mapped_column(sa.String(10), default="write")
    include_volume: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    # The eight-week import after connecting (a BackfillStatus).
    backfill_status: Mapped[str] = mapped_column(sa.String(16), default=BackfillStatus.NONE)
    # Runs the import has found so far, shown on the settings page while it works.
    backfill_found: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    backfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # While the import is pending: when the sweeper may enqueue it again, its task being
    # lost (claim_stale_backfills, docs/operations.md#what-survives-a-crash). Pushed on
    # when it is queued, starts, reads a page or is deferred; None (before 0007): at once.
    backfill_next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # IANA name from the athlete's latest Strava activity; None means UTC. The chart's
    # weeks and the note's clock times follow it (coaching.localtime).
    timezone: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    # The race the athlete is training for, if any (settings page): the weeks before it
    # taper and the days around it get no circuit (coaching.GoalRace).
    goal_race_date: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    goal_race_distance_m: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    # Part of every signed-in session: signing out or disconnecting raises it, so a copy
    # of an older cookie signs nobody in (service.web.signin).
    session_epoch: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")

    def effective_timezone(self) -> str:
        return self.timezone or "UTC"

    def effective_units(self) -> str:
        if self.units in ("metric", "imperial"):
            return self.units
        return "imperial" if self.measurement_preference == "feet" else "metric"


class Event(Base):
    """A webhook event as Strava sent it, kept until it has been handled."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    # sha256 of the normalised event: Strava's retries and duplicates collapse onto one row.
    dedupe_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    subscription_id: Mapped[int] = mapped_column(sa.BigInteger)
    object_type: Mapped[str] = mapped_column(sa.String(32))
    object_id: Mapped[int] = mapped_column(sa.BigInteger)
    aspect_type: Mapped[str] = mapped_column(sa.String(32))
    owner_id: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    event_time: Mapped[int] = mapped_column(sa.BigInteger)
    updates: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # An EventStatus: pending -> done | ignored | failed
    status: Mapped[str] = mapped_column(sa.String(16), default=EventStatus.PENDING, index=True)
    outcome: Mapped[str] = mapped_column(sa.String(255), default="")
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    # TEXT in the schema; postrun keeps no more than max_chars of an error (rows.clip).
    last_error: Mapped[str] = mapped_column(sa.Text, default="", info={"max_chars": 2000})
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When the sweeper may next hand a still-pending event to a worker: set on arrival,
    # pushed back by each sweep and past each deferral's countdown, so an event that is
    # merely waiting (for a rate window, a lock, a slow queue) is never queued twice.
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (sa.Index("ix_events_status_next_check", "status", "next_check_at"),)


class Activity(Base):
    """An activity postrun has looked at; runs among them make up the athlete's history."""

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    athlete_id: Mapped[int] = mapped_column(
        sa.BigInteger, sa.ForeignKey("athletes.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(255), default="")
    sport_type: Mapped[str] = mapped_column(sa.String(40), default="")
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    distance_m: Mapped[float] = mapped_column(sa.Float, default=0.0)
    moving_time_s: Mapped[int] = mapped_column(sa.Integer, default=0)
    is_run: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # An ActivityStatus.
    status: Mapped[str] = mapped_column(sa.String(16), default=ActivityStatus.PENDING)
    reason: Mapped[str] = mapped_column(sa.String(255), default="")
    # The exact block we last wrote, so a later pass finds and replaces it byte for byte.
    written_block: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    annotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # An ActivitySource: "file" for a run imported from a GPX or FIT file
    # (service.files.imports): such a row has a negative id, status "imported", and the
    # file's name.
    source: Mapped[str] = mapped_column(
        sa.String(10), default=ActivitySource.STRAVA, server_default="strava"
    )
    file_name: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    # Seconds east of UTC on the athlete's clock at the start: the run's local day.
    utc_offset_s: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    # Strava's workout_type for runs (0 default, 1 race, 2 long run, 3 workout); None
    # when Strava or the file gave none.
    workout_type: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    # True when postrun's note for this run prescribed the back circuit: the circuit
    # progresses by sessions done, counted from these (docs/coaching.md).
    circuit: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())

    __table_args__ = (sa.Index("ix_activities_athlete_start", "athlete_id", "start"),)


class AppState(Base):
    """Small key-value facts about the deployment, such as the push subscription id."""

    __tablename__ = "app_state"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(255))
