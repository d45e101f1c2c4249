"""After an athlete connects: load their last eight weeks of runs into the local history.

The first note then already knows the athlete's weekly volume. One API call
fetches up to 200 activities (Strava's largest page); paging stops at the first
page with fewer than 200. Runs we already hold are left as they are, so the
backfill can run twice, or alongside the webhook pipeline, without harm.

While it is pending, the athlete's ``backfill_next_check_at`` is pushed on each
time the import is queued, starts, reads a page or is deferred; the sweeper
enqueues an import that lets it pass again (``claim_stale_backfills``,
docs/operations.md#what-survives-a-crash).
"""

from __future__ import annotations

import logging
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

import coaching
from service.accounts.tokens import fresh_tokens
from service.pipeline.annotation import follow_timezone
from service.pipeline.annotation import strava_activity_row
from service.pipeline.deps import Deps
from service.storage.models import Activity
from service.storage.models import ActivityStatus
from service.storage.models import Athlete
from service.storage.models import BackfillStatus
from service.strava.errors import AccessRevoked
from service.strava.payloads import ActivityData

log = logging.getLogger(__name__)

BACKFILL_DAYS = 56
PAGE_SIZE = 200
# A safety stop: 50 pages is 10,000 activities in eight weeks.
MAX_PAGES = 50


def backfill_athlete(deps: Deps, athlete_id: int) -> int:
    """Import the athlete's finished runs of the last eight weeks. Returns how many were new.

    Transient Strava errors (rate limit, outage) propagate for the task to retry.
    """
    with deps.session_factory() as session:
        athlete = session.get(Athlete, athlete_id)
        if athlete is None:
            return 0  # disconnected before the task ran
        after = int((deps.now() - timedelta(days=BACKFILL_DAYS)).timestamp())
        added = 0
        newest: ActivityData | None = None
        try:
            _progress(deps, athlete_id, found=0)  # a retried backfill counts afresh
            tokens = fresh_tokens(deps, session, athlete)
            found = 0
            for page in range(1, MAX_PAGES + 1):
                summaries = deps.strava.list_activities(tokens, after, page, PAGE_SIZE)
                runs = [item for item in summaries if _is_own_run(athlete_id, item)]
                added += sum(_import(deps, athlete_id, item) for item in runs)
                found += len(runs)
                for item in summaries:
                    if newest is None or item.start > newest.start:
                        newest = item
                _progress(deps, athlete_id, found)
                if len(summaries) < PAGE_SIZE:
                    break
        except AccessRevoked:
            session.rollback()
            athlete.backfill_status = BackfillStatus.FAILED
            session.commit()
            log.info("backfill of athlete %s: Strava refused the token", athlete_id)
            return added
        athlete.backfill_status = BackfillStatus.DONE
        athlete.backfilled_at = deps.now()
        if newest is not None:
            # The weeks follow the newest activity's zone, unless the webhook already
            # stored a newer one (follow_timezone checks).
            follow_timezone(session, athlete, newest)
        session.commit()
    log.info("backfill of athlete %s: %s runs imported", athlete_id, added)
    return added


def next_check(deps: Deps, wait_s: float = 0.0) -> datetime:
    """When the sweeper may enqueue a pending import again, if it shows no sign of life
    after ``wait_s`` more seconds (the time a deferred import waits for its retry)."""
    return deps.now() + timedelta(seconds=wait_s + deps.settings.backfill_sweep_after_s)


def _progress(deps: Deps, athlete_id: int, found: int) -> None:
    """Record how many runs the import has found, for the settings page, and that it is
    alive, for the sweeper: in its own commit."""
    with deps.session_factory() as session:
        session.execute(
            sa.update(Athlete)
            .where(Athlete.id == athlete_id)
            .values(backfill_found=found, backfill_next_check_at=next_check(deps))
        )
        session.commit()


def _is_own_run(athlete_id: int, item: ActivityData) -> bool:
    if item.athlete_id and item.athlete_id != athlete_id:
        return False
    is_run, _reason = coaching.is_finished_run(
        sport_type=item.sport_type,
        activity_type=item.activity_type,
        distance_m=item.distance_m,
        moving_time_s=item.moving_time_s,
    )
    return is_run


def _import(deps: Deps, athlete_id: int, item: ActivityData) -> bool:
    """Store one of the athlete's runs unless we hold it already. True if it was new."""
    # A session per run: the webhook pipeline may store the same run at the same moment.
    with deps.session_factory() as session:
        if session.get(Activity, item.id) is not None:
            return False
        if session.get(Athlete, athlete_id) is None:
            return False  # disconnected meanwhile
        row = strava_activity_row(None, athlete_id, item)
        row.is_run = True
        row.status = ActivityStatus.IMPORTED
        row.reason = "imported from before you connected"
        session.add(row)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return False
        return True


def defer(deps: Deps, athlete_id: int, seconds: float) -> None:
    """The task retries the import in ``seconds``: keep the sweeper away until well after."""
    with deps.session_factory() as session:
        session.execute(
            sa.update(Athlete)
            .where(Athlete.id == athlete_id, Athlete.backfill_status == BackfillStatus.PENDING)
            .values(backfill_next_check_at=next_check(deps, seconds))
        )
        session.commit()


def mark_failed(deps: Deps, athlete_id: int) -> None:
    """The backfill gave up (retries spent): say so on the settings page."""
    with deps.session_factory() as session:
        athlete = session.get(Athlete, athlete_id)
        if athlete is not None:
            athlete.backfill_status = BackfillStatus.FAILED
            session.commit()
