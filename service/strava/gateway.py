"""The one adapter to Strava: stravalib over a ``StravaSession``, with errors made plain.

Everything else in postrun sees Strava through this module: it gets plain
dataclasses back and one of four exceptions, never a stravalib model or a
requests error.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar
from typing import cast

from stravalib import Client

from service.strava.budget import BudgetSpent
from service.strava.errors import RateLimited
from service.strava.errors import StravaError
from service.strava.errors import translate_errors
from service.strava.http import StravaSession
from service.strava.payloads import ActivityData
from service.strava.payloads import AthleteData
from service.strava.payloads import Tokens
from service.strava.payloads import local_offset
from service.strava.payloads import summary
from service.strava.payloads import workout_type
from service.strava.payloads import zone_name

if TYPE_CHECKING:
    from service.storage.counters import Counters
    from service.strava.budget import RateBudget

T = TypeVar("T")

# Refresh a little before Strava's expiry so a call never starts with a token that
# dies mid-flight (Strautomator uses 180 s; docs/sources.md#refresh-margin).
REFRESH_MARGIN_S = 300


class _TokenAdviceFilter(logging.Filter):
    """Drop stravalib's advice to put credentials in the environment or to set a refresh token.

    stravalib logs it on the root logger whenever a Client is built without
    STRAVA_CLIENT_ID/SECRET in the environment. postrun refreshes tokens itself
    (``StravaGateway.refresh``), so the advice does not apply and would only hide
    real warnings.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        from_stravalib = record.pathname.replace("\\", "/").endswith("stravalib/protocol.py")
        return not (from_stravalib and record.levelno == logging.WARNING)


_TOKEN_ADVICE_FILTER = _TokenAdviceFilter()


def _root(value: Any) -> Any:
    """stravalib wraps enums and strings in pydantic RootModels; unwrap them."""
    return getattr(value, "root", value)


class StravaGateway:
    """Builds stravalib clients for the app and for one athlete at a time."""

    def __init__(
        self,
        client_id: int | None,
        client_secret: str | None,
        base_url: str | None = None,
        clock: Callable[[], float] = time.time,
        budget: RateBudget | None = None,
        window_s: int = 900,
        counters: Counters | None = None,
        athlete_calls_per_window: int = 0,
    ) -> None:
        self.client_id = client_id
        # Calls one athlete's events may make per short window; 0: no cap of its own.
        self.athlete_calls_per_window = athlete_calls_per_window
        self.client_secret = client_secret
        self.base_url = base_url
        root = logging.getLogger()
        if _TOKEN_ADVICE_FILTER not in root.filters:
            root.addFilter(_TOKEN_ADVICE_FILTER)
        self.clock = clock
        self.budget = budget
        self.window_s = window_s
        self.counters = counters
        self._session: StravaSession | None = None
        self._sent = threading.local()

    def _http(self) -> StravaSession:
        # One pooled session per gateway (and so per process): keep-alive to Strava.
        if self._session is None:
            self._session = StravaSession(self.base_url)
        return self._session

    def _record_rates(self, headers: Any, _method: str) -> None:
        """stravalib's rate-limiter hook: bring the shared budget up to Strava's counts."""
        if self.budget is not None:
            self.budget.observe(dict(headers), getattr(self._sent, "at", None))

    def _call(self, action: Callable[[], T], priority: str = "high") -> T:
        """Run one rate-counted API call: reserve budget first, translate errors after."""
        if self.budget is not None:
            try:
                self.budget.reserve(1, priority)
            except BudgetSpent as spent:
                self._count("budget_deferred")
                raise RateLimited(str(spent), spent.retry_after_s) from None
            # When the request left, per thread: the answer's usage may belong to a window
            # that closed meanwhile (RateBudget.observe).
            self._sent.at = self.budget.clock()
        try:
            with translate_errors(self.clock, self.window_s):
                result = action()
        except RateLimited:
            self._count("rate_limited")
            if self.budget is not None:
                self.budget.exhaust(getattr(self._sent, "at", None))
            raise
        except StravaError as error:
            self._count(type(error).__name__.lower())
            raise
        finally:
            # A request outside _call (a token refresh) must not take this one's time.
            self._sent.at = None
        self._count("ok")
        return result

    def charge_athlete(self, athlete_id: int) -> None:
        """Count one call against the athlete's share; ``RateLimited`` if it is spent."""
        if self.budget is None or not self.athlete_calls_per_window:
            return
        try:
            self.budget.reserve_for(athlete_id, self.athlete_calls_per_window)
        except BudgetSpent as spent:
            self._count("athlete_deferred")
            raise RateLimited(str(spent), spent.retry_after_s) from None

    def _count(self, outcome: str) -> None:
        if self.counters is not None:
            self.counters.add(f"strava:{outcome}")

    def _client(self, access_token: str | None = None) -> Client:
        client = Client(
            access_token=access_token,
            requests_session=self._http(),
            # stravalib calls any callable with (headers, method); its hint names a class.
            rate_limiter=self._record_rates,  # type: ignore[arg-type]
        )
        # stravalib refreshes on its own whenever STRAVA_CLIENT_ID/SECRET are in the
        # environment, outside our per-athlete lock and without persisting the rotated
        # refresh token (docs/sources.md#why-stravalib-does-not-refresh-tokens-itself).
        # We refresh explicitly instead.
        client.protocol.client_id = None
        client.protocol.client_secret = None
        return client

    def _credentials(self) -> tuple[int, str]:
        if self.client_id is None or not self.client_secret:
            raise StravaError("STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET must be set")
        return self.client_id, self.client_secret

    # OAuth ---------------------------------------------------------------

    def authorization_url(self, redirect_uri: str, state: str) -> str:
        client_id, _ = self._credentials()
        return self._client().authorization_url(
            client_id=client_id,
            redirect_uri=redirect_uri,
            scope=["activity:read_all", "activity:write", "profile:read_all"],
            state=state,
        )

    def exchange_code(self, code: str) -> tuple[Tokens, str]:
        """Trade a one-time code for tokens; returns them with the granted scope."""
        client_id, secret = self._credentials()
        with translate_errors(self.clock):
            # Without return_athlete, stravalib returns the AccessInfo mapping alone.
            info = cast(
                "dict[str, Any]", self._client().exchange_code_for_token(client_id, secret, code)
            )
        tokens = Tokens(info["access_token"], info["refresh_token"], int(info["expires_at"]))
        return tokens, str(dict(info).get("scope", "") or "")

    def refresh(self, refresh_token: str) -> Tokens:
        client_id, secret = self._credentials()
        with translate_errors(self.clock):
            info = self._client().refresh_access_token(client_id, secret, refresh_token)
        return Tokens(info["access_token"], info["refresh_token"], int(info["expires_at"]))

    def needs_refresh(self, tokens: Tokens) -> bool:
        return tokens.expires_at - self.clock() < REFRESH_MARGIN_S

    def deauthorize(self, tokens: Tokens) -> None:
        self._call(self._client(tokens.access_token).deauthorize)

    # Athlete API ---------------------------------------------------------

    def get_athlete(self, tokens: Tokens) -> AthleteData:
        athlete = self._call(self._client(tokens.access_token).get_athlete)
        preference = _root(getattr(athlete, "measurement_preference", None))
        return AthleteData(
            id=int(athlete.id or 0),
            firstname=str(athlete.firstname or ""),
            measurement_preference=str(preference) if preference else None,
        )

    def get_activity(self, tokens: Tokens, activity_id: int) -> ActivityData:
        client = self._client(tokens.access_token)
        activity = self._call(lambda: client.get_activity(activity_id))
        sport = _root(activity.sport_type)
        legacy = _root(activity.type)
        start = activity.start_date or datetime.fromtimestamp(0, UTC)
        return ActivityData(
            id=int(activity.id or activity_id),
            athlete_id=int(activity.athlete.id) if activity.athlete and activity.athlete.id else 0,
            name=str(activity.name or ""),
            description=activity.description,
            sport_type=str(sport) if sport else None,
            activity_type=str(legacy) if legacy else None,
            distance_m=float(activity.distance or 0.0),
            moving_time_s=int(activity.moving_time or 0),
            start=start.astimezone(UTC),
            manual=bool(activity.manual),
            trainer=bool(activity.trainer),
            utc_offset_s=local_offset(activity.utc_offset, activity.start_date_local, start),
            timezone=zone_name(activity.timezone),
            workout_type=workout_type(activity.workout_type),
        )

    def update_description(self, tokens: Tokens, activity_id: int, description: str) -> None:
        """PUT only the description: every other field stays as the athlete set it."""
        client = self._client(tokens.access_token)
        self._call(lambda: client.update_activity(activity_id, description=description))

    # Push subscriptions (app credentials, no athlete token) ---------------

    def create_subscription(self, callback_url: str, verify_token: str) -> int:
        client_id, secret = self._credentials()
        client = self._client()
        subscription = self._call(
            lambda: client.create_subscription(
                client_id, secret, callback_url, verify_token=verify_token
            )
        )
        return int(subscription.id or 0)

    def list_subscriptions(self) -> list[dict[str, Any]]:
        client_id, secret = self._credentials()
        client = self._client()
        found = self._call(lambda: list(client.list_subscriptions(client_id, secret)))
        return [{"id": s.id, "callback_url": s.callback_url} for s in found]

    def delete_subscription(self, subscription_id: int) -> None:
        client_id, secret = self._credentials()
        client = self._client()
        self._call(lambda: client.delete_subscription(subscription_id, client_id, secret))

    # Backfill (athlete token) ----------------------------------------------

    def list_activities(
        self, tokens: Tokens, after: int, page: int, per_page: int = 200
    ) -> list[ActivityData]:
        """One page of the athlete's activities started after ``after`` (epoch seconds).

        Exactly one API call. Summaries carry no description (``description`` is None).
        Low priority: the backfill yields the rate budget to webhook work.
        """
        client = self._client(tokens.access_token)
        raw = self._call(
            lambda: client.protocol.get(
                "/athlete/activities",
                check_for_errors=True,
                after=after,
                page=page,
                per_page=per_page,
            ),
            priority="low",
        )
        return [summary(item) for item in raw or []]
