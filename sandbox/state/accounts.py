"""Athletes and their OAuth grants: codes, access tokens, refresh tokens, deauthorization.

The token rules follow https://developers.strava.com/docs/authentication/: a code works
once; access tokens live six hours; a refresh returns the same access token while more
than an hour is left; a refresh token dies as soon as a new one is handed out; and
deauthorizing revokes every token of the athlete.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from typing import Any

from sandbox import payloads
from sandbox.config import ACCESS_TOKEN_LIFETIME_S
from sandbox.config import REFRESH_REUSE_MARGIN_S
from sandbox.errors import AUTH_ERROR
from sandbox.errors import StravaFault
from sandbox.errors import bad_request
from sandbox.errors import not_found
from sandbox.state.shared import Shared
from sandbox.state.subscriptions import Subscriptions

DEFAULT_SCOPE = "read,activity:read_all,activity:write,profile:read_all"


@dataclass
class AccessToken:
    athlete_id: int
    expires_at: int


@dataclass
class Athlete:
    profile: dict[str, Any]
    scope: str = DEFAULT_SCOPE
    refresh_token: str | None = None
    current_access: str | None = None
    authorized: bool = True

    @property
    def id(self) -> int:
        return int(self.profile["id"])


class Accounts:
    """Who exists in the sandbox and which tokens speak for them."""

    def __init__(self, shared: Shared, events: Subscriptions) -> None:
        self.shared = shared
        self.events = events
        self.clear()

    def clear(self) -> None:
        self.athletes: dict[int, Athlete] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, int] = {}
        self.codes: dict[str, int] = {}
        self.ids = itertools.count(1001)

    # ---- issuing ----------------------------------------------------------------

    def _issue_access(self, athlete: Athlete, lifetime: int = ACCESS_TOKEN_LIFETIME_S) -> str:
        token = secrets.token_hex(20)
        self.access_tokens[token] = AccessToken(athlete.id, int(self.shared.now()) + lifetime)
        athlete.current_access = token
        return token

    def _issue_refresh(self, athlete: Athlete) -> str:
        if athlete.refresh_token:
            self.refresh_tokens.pop(athlete.refresh_token, None)
        token = secrets.token_hex(20)
        self.refresh_tokens[token] = athlete.id
        athlete.refresh_token = token
        return token

    def _issue_code(self, athlete: Athlete) -> str:
        code = secrets.token_hex(20)
        self.codes[code] = athlete.id
        return code

    # ---- athletes ---------------------------------------------------------------

    def create_athlete(self, spec: dict[str, Any]) -> dict[str, Any]:
        """An athlete who has authorized the app already, with tokens and a spare code."""
        preference = spec.get("measurement_preference", "meters")
        if preference not in {"meters", "feet"}:
            raise bad_request("Athlete", "measurement_preference", "invalid")
        with self.shared.lock:
            athlete_id = next(self.ids)
            profile = payloads.new_athlete(
                athlete_id,
                str(spec.get("firstname") or "Sandbox"),
                str(spec.get("lastname") or f"Athlete {athlete_id}"),
                preference,
                self.shared.now(),
            )
            athlete = Athlete(profile, scope=str(spec.get("scope") or DEFAULT_SCOPE))
            self.athletes[athlete_id] = athlete
            access = self._issue_access(
                athlete, int(spec.get("expires_in", ACCESS_TOKEN_LIFETIME_S))
            )
            return {
                "athlete_id": athlete_id,
                "access_token": access,
                "refresh_token": self._issue_refresh(athlete),
                "expires_at": self.access_tokens[access].expires_at,
                "code": self._issue_code(athlete),
            }

    def athlete(self, athlete_id: int) -> Athlete:
        """The athlete with this id, else Strava's 404 (call with the lock held)."""
        athlete = self.athletes.get(athlete_id)
        if athlete is None:
            raise not_found("Athlete")
        return athlete

    def exists(self, athlete_id: int) -> bool:
        with self.shared.lock:
            return athlete_id in self.athletes

    def people(self) -> list[dict[str, Any]]:
        """Every athlete's id, first and last name, oldest first (for the HTML pages)."""
        with self.shared.lock:
            return [
                {
                    "id": athlete.id,
                    "firstname": athlete.profile["firstname"],
                    "lastname": athlete.profile["lastname"],
                    "authorized": athlete.authorized,
                }
                for athlete in self.athletes.values()
            ]

    def profile(self, athlete_id: int) -> dict[str, Any]:
        with self.shared.lock:
            return payloads.clone(self.athlete(athlete_id).profile)

    def authorize(
        self, athlete_id: int | None, scope: str | None, newcomer: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The athlete approves the app: a fresh code.

        With no ``athlete_id`` someone new signs up, named by ``newcomer`` (a
        ``POST /sandbox/athletes`` body) or "Sandbox Athlete N".
        """
        with self.shared.lock:
            if athlete_id is None:
                athlete_id = int(self.create_athlete(newcomer or {})["athlete_id"])
            athlete = self.athlete(athlete_id)
            athlete.authorized = True
            if scope:
                athlete.scope = str(scope)
            return {
                "athlete_id": athlete_id,
                "code": self._issue_code(athlete),
                "scope": athlete.scope,
            }

    def expire(self, athlete_id: int) -> dict[str, Any]:
        """Make every access token of the athlete expired as of now."""
        with self.shared.lock:
            self.athlete(athlete_id)
            now = int(self.shared.now())
            for token in self.access_tokens.values():
                if token.athlete_id == athlete_id:
                    token.expires_at = min(token.expires_at, now)
            return {"athlete_id": athlete_id, "expires_at": now}

    # ---- tokens -----------------------------------------------------------------

    def authenticate(self, token: str | None) -> int:
        """The athlete id behind a live access token, else Strava's 401."""
        with self.shared.lock:
            entry = self.access_tokens.get(token or "")
            if entry is None or self.shared.now() >= entry.expires_at:
                raise StravaFault(401, AUTH_ERROR)
            return entry.athlete_id

    def token(self, form: dict[str, Any]) -> dict[str, Any]:
        """POST /oauth/token for both grant types."""
        with self.shared.lock:
            if not self.shared.is_client(form.get("client_id")):
                raise StravaFault(400, payloads.template("error_400_oauth-invalid-client.json"))
            if not self.shared.is_secret(form.get("client_secret")):
                raise bad_request("Application", "client_secret", "invalid")
            grant = form.get("grant_type")
            if grant == "authorization_code":
                return self._exchange_code(str(form.get("code") or ""))
            if grant == "refresh_token":
                return self._refresh(str(form.get("refresh_token") or ""))
            raise bad_request("Application", "grant_type", "invalid")

    def _token_body(self, athlete: Athlete, access: str) -> dict[str, Any]:
        expires_at = self.access_tokens[access].expires_at
        return {
            "token_type": "Bearer",
            "access_token": access,
            "expires_at": expires_at,
            "expires_in": max(0, expires_at - int(self.shared.now())),
            "refresh_token": athlete.refresh_token,
        }

    def _exchange_code(self, code: str) -> dict[str, Any]:
        # "code is short lived and can only be used once": pop it whatever happens next.
        athlete_id = self.codes.pop(code, None)
        if athlete_id is None:
            raise StravaFault(400, payloads.template("error_400_oauth-invalid-code.json"))
        athlete = self.athletes[athlete_id]
        athlete.authorized = True
        if athlete.refresh_token is None:
            self._issue_refresh(athlete)
        body = self._token_body(athlete, self._issue_access(athlete))
        body["athlete"] = payloads.summary_athlete(athlete.profile)
        body["scope"] = athlete.scope
        return body

    def _refresh(self, refresh_token: str) -> dict[str, Any]:
        athlete_id = self.refresh_tokens.get(refresh_token)
        if athlete_id is None:
            raise bad_request("RefreshToken", "refresh_token", "invalid")
        athlete = self.athletes[athlete_id]
        current = self.access_tokens.get(athlete.current_access or "")
        # Strava keeps the access token while more than an hour is left; otherwise it
        # issues a new one and the old one stays valid until it expires.
        if current is not None and current.expires_at - self.shared.now() > REFRESH_REUSE_MARGIN_S:
            access = athlete.current_access
            assert access is not None
        else:
            access = self._issue_access(athlete)
        if self.shared.config.rotate_refresh_tokens:
            self._issue_refresh(athlete)  # the old refresh token dies at once
        return self._token_body(athlete, access)

    def deauthorize(self, token: str | None) -> dict[str, Any]:
        """Revoke every token of the token's athlete and push the deauthorization event."""
        with self.shared.lock:
            athlete_id = self.authenticate(token)
            athlete = self.athletes[athlete_id]
            for name in [t for t, e in self.access_tokens.items() if e.athlete_id == athlete_id]:
                del self.access_tokens[name]
            for name in [t for t, a in self.refresh_tokens.items() if a == athlete_id]:
                del self.refresh_tokens[name]
            for name in [c for c, a in self.codes.items() if a == athlete_id]:
                del self.codes[name]
            athlete.refresh_token = None
            athlete.current_access = None
            athlete.authorized = False
            self.events.emit("athlete", athlete_id, "update", athlete_id, {"authorized": "false"})
            return {"access_token": token}
