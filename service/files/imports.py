"""Import GPX and FIT files into an athlete's run history (the settings page, ``postrun gpx``).

Each file is read with ``service.files`` under the per-file and
per-request limits; one bad file never stops the others. A run joins the history
as an ``Activity`` row and gets the note it would have received then, built as the
pipeline builds it: ``coaching.suggest`` with the athlete's runs up to its start.

Decisions:

- **Ids.** A file run's id is negative: ``-1 - (the first 8 bytes of
  sha256(athlete id, file bytes)) // 2``. Strava's ids are positive, so none can
  collide, and no webhook, delete or reconcile ever names one. The same file
  uploaded twice by one athlete lands on the same id (a duplicate); two athletes
  uploading the same file get different ids.
- **Never written to Strava.** Rows have ``source`` "file" and ``status``
  "imported"; the worker only ever handles activities named by Strava's events.
- **Counted once.** Two records are one run when their starts are within 120 s
  and their distances within 5 % (``same_run``). A file run that matches
  any stored run (from Strava or an earlier file) is a duplicate and is not
  stored. A Strava run that arrives after the file wins: ``run_history``
  (and the chart) drop file runs that a Strava run matches.
- **Old runs get no note.** A run that started more than ``NOTE_MAX_AGE`` (eight
  weeks, the span of the import from Strava) before now joins the history, but the
  note it "would have received" then is not shown: written from a history that
  postrun never saw, it would read as a restart after years off. ``detail`` says so.
- **Not a run.** Rides, walks, routes and files without times are reported
  with the reader's reason and not stored.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import logging
import posixpath
from collections.abc import Callable
from collections.abc import Iterable
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import coaching
from coaching import localtime
from service.files import FileError
from service.files import FileResult
from service.files import Limits
from service.files import RequestBudget
from service.files import read_activity
from service.pipeline.deps import Deps
from service.pipeline.history import SAME_RUN_START_S
from service.pipeline.history import as_run
from service.pipeline.history import coaching_settings
from service.pipeline.history import run_history
from service.pipeline.history import same_run
from service.storage.models import Activity
from service.storage.models import ActivitySource
from service.storage.models import ActivityStatus
from service.storage.models import Athlete
from service.storage.rows import activity_row
from service.storage.rows import clip

log = logging.getLogger(__name__)


class Outcome(enum.StrEnum):
    """What became of one file (``ImportResult.status``)."""

    IMPORTED = "imported"
    DUPLICATE = "duplicate"
    NOT_A_RUN = "not a run"
    ERROR = "error"


IMPORTED, DUPLICATE, NOT_A_RUN, ERROR = Outcome
IMPORTED_REASON = "imported from a file"
NOTE_MAX_AGE = timedelta(weeks=8)
OLD_RUN = "added to your history; no note applies to a run more than 8 weeks old"


class UnknownAthlete(LookupError):
    """No athlete with this id is connected."""


@dataclasses.dataclass(frozen=True, slots=True)
class RunSummary:
    start: datetime
    distance_m: float
    moving_time_s: int
    sport_type: str
    utc_offset_s: int = 0

    @property
    def local_start(self) -> datetime:
        """The start on the athlete's clock (naive), for the results table."""
        return (self.start + timedelta(seconds=self.utc_offset_s)).replace(tzinfo=None)


@dataclasses.dataclass(frozen=True, slots=True)
class ImportResult:
    """What became of one file. ``detail`` explains a duplicate or a file that is not a run."""

    name: str
    status: Outcome
    error: str | None = None
    run: RunSummary | None = None
    suggestion: str | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status != ERROR


def display_name(name: str) -> str:
    """The file's own name, without any folders a browser or a path put in front."""
    return clip(Activity.file_name, posixpath.basename(name.replace("\\", "/")).strip()) or (
        "(no name)"
    )


def file_run_id(athlete_id: int, data: bytes) -> int:
    """A stable negative id for the run in ``data``, never one of Strava's (positive) ids."""
    digest = hashlib.sha256(f"{athlete_id}:".encode() + data).digest()
    return -1 - (int.from_bytes(digest[:8], "big") >> 1)


def import_files(
    deps: Deps,
    athlete_id: int,
    files: Iterable[tuple[str, bytes | FileError]],
    limits: Limits | None = None,
    read: Callable[[str, bytes, Limits, str], FileResult] | None = None,
) -> list[ImportResult]:
    """Read each file and import the runs into the athlete's history, in the order given.

    ``files`` may be a generator, so only one file's bytes need be held at a time.
    An item whose data is a ``FileError`` (the caller could not read it, e.g. too
    large) is reported as that error. Files past ``max_request_bytes`` in all are
    reported as skipped. Raises ``UnknownAthlete`` before reading anything.
    ``read`` parses one file, ``read_activity`` unless given (the web app parses
    in a child process: ``service.web.throttle``); it is given the athlete's units,
    so a "not a run" reason gives its pace per km or per mile as the note would.
    """
    limits = limits or Limits()
    read = read or read_activity
    with deps.session_factory() as session:
        found_athlete = session.get(Athlete, athlete_id)
        if found_athlete is None:
            raise UnknownAthlete(athlete_id)
        units = found_athlete.effective_units()
    budget = RequestBudget(limits)
    results = []
    for name, data in files:
        shown = display_name(name)
        try:
            if isinstance(data, FileError):
                raise data
            if len(data) <= limits.max_bytes:  # a larger one is refused by the reader
                budget.charge(len(data))
            found = read(shown, data, limits, units)
            results.append(_import_one(deps, athlete_id, shown, data, found))
        except FileError as error:
            results.append(ImportResult(shown, ERROR, error=str(error)))
        except Exception as error:  # one bad file never stops the others
            log.exception("importing a file for athlete %s failed", athlete_id)
            results.append(
                ImportResult(shown, ERROR, error=f"could not be imported ({type(error).__name__})")
            )
    return results


def _summary(found: FileResult, athlete: Athlete) -> RunSummary:
    assert found.start is not None
    start = found.start
    if found.start_is_local:
        # Only the device's wall clock is known: read it in the athlete's time zone.
        zone = localtime.zone(athlete.effective_timezone())
        start = start.replace(tzinfo=zone).astimezone(UTC)
    offset = file_offset(dataclasses.replace(found, start=start), athlete)
    return RunSummary(
        start, found.distance_m, found.moving_time_s, found.sport_type or "Run", offset
    )


def _import_one(
    deps: Deps, athlete_id: int, name: str, data: bytes, found: FileResult
) -> ImportResult:
    if not found.is_run or found.start is None:
        return ImportResult(name, NOT_A_RUN, detail=found.reason)
    run_id = file_run_id(athlete_id, data)
    with deps.session_factory() as session:
        athlete = session.get(Athlete, athlete_id)
        if athlete is None:
            return ImportResult(name, ERROR, error="the athlete disconnected meanwhile")
        summary = _summary(found, athlete)
        earlier = session.get(Activity, run_id)
        if earlier is not None:
            return ImportResult(
                name, DUPLICATE, run=summary, detail=f"already imported from {earlier.file_name}"
            )
        match = matching_run(session, athlete_id, summary.start, summary.distance_m)
        if match is not None:
            return ImportResult(name, DUPLICATE, run=summary, detail=_same_as(match))
        row = activity_row(
            None,
            activity_id=run_id,
            athlete_id=athlete_id,
            name=name,
            sport_type=summary.sport_type,
            start=summary.start,
            utc_offset_s=summary.utc_offset_s,
            distance_m=summary.distance_m,
            moving_time_s=summary.moving_time_s,
        )
        row.is_run = True
        row.status = ActivityStatus.IMPORTED
        row.reason = IMPORTED_REASON
        row.source = ActivitySource.FILE
        row.file_name = name
        session.add(row)
        session.flush()
        suggestion = None
        if summary.start >= deps.now() - NOTE_MAX_AGE:
            run = as_run(row)
            history = run_history(session, athlete_id, run.start)
            suggestion = coaching.suggest(coaching_settings(athlete), history, run).text
        try:
            session.commit()
        except IntegrityError:  # the same file, imported at the same moment elsewhere
            session.rollback()
            return ImportResult(name, DUPLICATE, run=summary, detail="already imported")
    log.info("athlete %s: imported run %s from a file", athlete_id, run_id)
    detail = "" if suggestion is not None else OLD_RUN
    return ImportResult(name, IMPORTED, run=summary, suggestion=suggestion, detail=detail)


def file_offset(found: FileResult, athlete: Athlete) -> int:
    """The run's offset: the file's own if it gives one, else the athlete's time zone's."""
    if found.utc_offset_s is not None:
        return found.utc_offset_s
    assert found.start is not None
    return localtime.offset_at(found.start, athlete.effective_timezone())


def matching_run(
    session: Session, athlete_id: int, start: datetime, distance_m: float
) -> Activity | None:
    """A stored run of the athlete (from Strava or a file) that is the same run, if any."""
    margin = timedelta(seconds=SAME_RUN_START_S)
    candidates = session.scalars(
        sa.select(Activity)
        .where(Activity.athlete_id == athlete_id)
        .where(Activity.is_run.is_(True))
        .where(Activity.start >= start - margin)
        .where(Activity.start <= start + margin)
        .order_by(Activity.source.desc(), Activity.start)  # Strava's copy first
    )
    for row in candidates:
        if same_run(start, distance_m, row.start, row.distance_m):
            return row
    return None


def _same_as(row: Activity) -> str:
    when = row.start.strftime("%Y-%m-%d %H:%M UTC")
    if row.source == ActivitySource.FILE:
        return f"the same run as {row.file_name} ({when}), imported before"
    return f"the same run as “{row.name or 'Run'}” on Strava ({when})"
