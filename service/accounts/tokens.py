"""An athlete's Strava tokens, refreshed under a lock before they expire."""

from __future__ import annotations

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from service.pipeline.deps import Deps
from service.storage.models import Athlete
from service.strava.errors import AccessRevoked
from service.strava.payloads import Tokens


def fresh_tokens(deps: Deps, session: Session, athlete: Athlete, force: bool = False) -> Tokens:
    """The athlete's tokens, refreshed first if they are about to expire (or ``force``).

    Strava invalidates the old refresh token as soon as it issues a new one
    (docs/sources.md#why-the-token-refresh-runs-under-a-lock), so the refresh runs
    under a per-athlete lock and the rotated tokens are committed before anything
    else uses them. Inside the lock the tokens are read in a session of their own:
    the caller's transaction may be an older snapshot (SQLite's is) that cannot see
    another worker's rotation.
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
