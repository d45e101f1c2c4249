"""Leaving: forget everything about an athlete, and disconnect them from Strava."""

from __future__ import annotations

import logging

import requests
import sqlalchemy as sa
from sqlalchemy.orm import Session

from service.accounts.tokens import fresh_tokens
from service.pipeline.deps import Deps
from service.storage.crypto import TokenKeyError
from service.storage.models import Activity
from service.storage.models import Athlete
from service.storage.models import Event
from service.strava.errors import AccessRevoked
from service.strava.errors import StravaError

log = logging.getLogger(__name__)


def forget_athlete(session: Session, athlete_id: int) -> None:
    """Delete every row we hold about an athlete, as Strava's API agreement asks
    (docs/sources.md#deleting-data-when-an-athlete-leaves)."""
    session.execute(sa.delete(Activity).where(Activity.athlete_id == athlete_id))
    session.execute(sa.delete(Event).where(Event.owner_id == athlete_id))
    session.execute(sa.delete(Athlete).where(Athlete.id == athlete_id))


def disconnect(deps: Deps, athlete_id: int) -> bool:
    """Revoke postrun's access on Strava, then delete every row held about the athlete.

    Returns whether Strava confirmed the revocation; the rows go either way.
    """
    revoked = True
    with deps.session_factory() as session:
        athlete = session.get(Athlete, athlete_id)
        if athlete is None:
            return revoked
        try:
            deps.strava.deauthorize(fresh_tokens(deps, session, athlete))
        except AccessRevoked:
            pass  # Strava no longer honours the token: access is gone already
        except (StravaError, TokenKeyError, requests.RequestException) as error:
            log.warning("deauthorizing athlete %s failed: %s", athlete_id, type(error).__name__)
            revoked = False
        session.rollback()
        forget_athlete(session, athlete_id)
        session.commit()
    log.info("athlete %s disconnected; their data is deleted", athlete_id)
    return revoked
