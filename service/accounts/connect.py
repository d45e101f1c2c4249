"""Connecting an athlete: the OAuth code exchange and the scopes postrun needs."""

from __future__ import annotations

from service.pipeline.backfill import next_check
from service.pipeline.deps import Deps
from service.storage.models import Athlete
from service.storage.models import BackfillStatus
from service.storage.rows import clip


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
        athlete.scope = clip(Athlete.scope, scope or "")
        athlete.needs_reauth = False
        if deps.enqueue_backfill is not None:
            athlete.backfill_status = BackfillStatus.PENDING
            # Should the task be lost, the sweeper enqueues the import again after this
            # (docs/operations.md#what-survives-a-crash).
            athlete.backfill_next_check_at = next_check(deps)
        session.commit()
    if deps.enqueue_backfill is not None:
        deps.enqueue_backfill(profile.id)
    return profile.id


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
