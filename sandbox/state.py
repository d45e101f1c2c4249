"""Everything the sandbox remembers, in memory, behind one lock.

Methods raise :class:`StravaFault` with Strava's error body; the Flask layer only turns
requests into calls and results into responses.
"""

from __future__ import annotations

import dataclasses
import http
import itertools
import random
import secrets
import threading
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import requests

from sandbox import payloads
from sandbox.config import ACCESS_TOKEN_LIFETIME_S
from sandbox.config import REFRESH_REUSE_MARGIN_S
from sandbox.config import SandboxConfig
from sandbox.webhooks import WebhookDispatcher
from sandbox.webhooks import new_http_session

UPDATABLE_FIELDS = (
    "commute",
    "description",
    "gear_id",
    "hide_from_home",
    "name",
    "sport_type",
    "trainer",
    "type",
)
BOOL_FIELDS = frozenset({"commute", "hide_from_home", "trainer", "private", "manual", "flagged"})
MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 30
DEFAULT_SCOPE = "read,activity:read_all,activity:write,profile:read_all"


def fault(message: str, resource: str, field_name: str, code: str) -> dict[str, Any]:
    """Strava's Fault body: a message and a list of {resource, field, code} errors."""
    return {
        "message": message,
        "errors": [{"resource": resource, "field": field_name, "code": code}],
    }


AUTH_ERROR = fault("Authorization Error", "Athlete", "access_token", "invalid")
ACTIVITY_NOT_FOUND = fault("Record Not Found", "Activity", "id", "invalid")


class StravaFault(Exception):
    """An error answer: HTTP status plus a JSON body."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body


def as_bool(value: Any) -> bool:
    """Form fields arrive as strings ("true", "1"); JSON ones as booleans."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


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


@dataclass
class RateWindow:
    """Usage in the current quarter hour and UTC day (both count every request)."""

    quarter: int = -1
    day: int = -1
    short: int = 0
    daily: int = 0


@dataclass
class Stats:
    calls: dict[str, int] = field(default_factory=dict)
    total: int = 0
    rate_limited: int = 0
    faults_injected: int = 0


class SandboxState:
    """The simulated Strava: athletes, tokens, activities, subscription, limits, faults."""

    def __init__(self, config: SandboxConfig) -> None:
        # A private copy: runtime changes (POST /sandbox/faults) must not leak into the
        # caller's object, which a test may reuse for another server.
        self.config = dataclasses.replace(config)
        self.lock = threading.RLock()
        # Seeded so a fault-injection run can be replayed; not a security use.
        self.rng = random.Random(config.seed)  # noqa: S311
        self.webhooks = WebhookDispatcher(
            lambda: (self.config.webhook_retry_delay_s, self.config.webhook_timeout_s)
        )
        self._clear()

    def _clear(self) -> None:
        self.athletes: dict[int, Athlete] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, int] = {}
        self.codes: dict[str, int] = {}
        self.activities: dict[int, dict[str, Any]] = {}
        self.subscription: dict[str, Any] | None = None
        self.verify_token: str | None = None
        self.hooks: list[dict[str, Any]] = []
        self.fail_next: list[dict[str, Any]] = []
        self.rate = RateWindow()
        self.stats = Stats()
        self.athlete_ids = itertools.count(1001)
        self.activity_ids = itertools.count(10_000_000_001)
        self.subscription_ids = itertools.count(120_001)

    def now(self) -> float:
        return float(self.config.clock())

    def reset(self) -> None:
        """Forget everything except the configuration."""
        with self.lock:
            self._clear()
            self.webhooks.reset()

    # ---- tokens -------------------------------------------------------------------

    def _issue_access(self, athlete: Athlete, lifetime: int = ACCESS_TOKEN_LIFETIME_S) -> str:
        token = secrets.token_hex(20)
        self.access_tokens[token] = AccessToken(athlete.id, int(self.now()) + lifetime)
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

    def create_athlete(self, spec: dict[str, Any]) -> dict[str, Any]:
        """An athlete who has authorized the app already, with tokens and a spare code."""
        preference = spec.get("measurement_preference", "meters")
        if preference not in {"meters", "feet"}:
            raise StravaFault(
                400, fault("Bad Request", "Athlete", "measurement_preference", "invalid")
            )
        with self.lock:
            athlete_id = next(self.athlete_ids)
            profile = payloads.new_athlete(
                athlete_id,
                str(spec.get("firstname") or "Sandbox"),
                str(spec.get("lastname") or f"Athlete {athlete_id}"),
                preference,
                self.now(),
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

    def authorize(self, athlete_id: int | None, scope: str | None) -> dict[str, Any]:
        """The athlete approves the app: a fresh code (a new athlete when id is None)."""
        with self.lock:
            if athlete_id is None:
                athlete_id = int(self.create_athlete({})["athlete_id"])
            athlete = self._athlete(athlete_id)
            athlete.authorized = True
            if scope:
                athlete.scope = str(scope)
            return {
                "athlete_id": athlete_id,
                "code": self._issue_code(athlete),
                "scope": athlete.scope,
            }

    def expire_athlete(self, athlete_id: int) -> dict[str, Any]:
        """Make every access token of the athlete expired as of now."""
        with self.lock:
            self._athlete(athlete_id)
            now = int(self.now())
            for token in self.access_tokens.values():
                if token.athlete_id == athlete_id:
                    token.expires_at = min(token.expires_at, now)
            return {"athlete_id": athlete_id, "expires_at": now}

    def _athlete(self, athlete_id: int) -> Athlete:
        athlete = self.athletes.get(athlete_id)
        if athlete is None:
            raise StravaFault(404, fault("Record Not Found", "Athlete", "id", "invalid"))
        return athlete

    def authenticate(self, token: str | None) -> int:
        """The athlete id behind a live access token, else Strava's 401."""
        with self.lock:
            entry = self.access_tokens.get(token or "")
            if entry is None or self.now() >= entry.expires_at:
                raise StravaFault(401, AUTH_ERROR)
            return entry.athlete_id

    def _check_client(self, client_id: Any, client_secret: Any) -> None:
        try:
            valid_id = int(client_id) == self.config.client_id
        except (TypeError, ValueError):
            valid_id = False
        if not valid_id:
            raise StravaFault(400, payloads.template("error_400_oauth-invalid-client.json"))
        if not secrets.compare_digest(str(client_secret or ""), self.config.client_secret):
            raise StravaFault(400, fault("Bad Request", "Application", "client_secret", "invalid"))

    def token(self, form: dict[str, Any]) -> dict[str, Any]:
        """POST /oauth/token for both grant types."""
        with self.lock:
            self._check_client(form.get("client_id"), form.get("client_secret"))
            grant = form.get("grant_type")
            if grant == "authorization_code":
                return self._exchange_code(str(form.get("code") or ""))
            if grant == "refresh_token":
                return self._refresh(str(form.get("refresh_token") or ""))
            raise StravaFault(400, fault("Bad Request", "Application", "grant_type", "invalid"))

    def _token_body(self, athlete: Athlete, access: str) -> dict[str, Any]:
        expires_at = self.access_tokens[access].expires_at
        return {
            "token_type": "Bearer",
            "access_token": access,
            "expires_at": expires_at,
            "expires_in": max(0, expires_at - int(self.now())),
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
            raise StravaFault(400, fault("Bad Request", "RefreshToken", "refresh_token", "invalid"))
        athlete = self.athletes[athlete_id]
        current = self.access_tokens.get(athlete.current_access or "")
        # Strava keeps the access token while more than an hour is left; otherwise it
        # issues a new one and the old one stays valid until it expires.
        if current is not None and current.expires_at - self.now() > REFRESH_REUSE_MARGIN_S:
            access = athlete.current_access
            assert access is not None
        else:
            access = self._issue_access(athlete)
        if self.config.rotate_refresh_tokens:
            self._issue_refresh(athlete)  # the old refresh token dies at once
        return self._token_body(athlete, access)

    def deauthorize(self, token: str | None) -> dict[str, Any]:
        """Revoke every token of the token's athlete and push the deauthorization event."""
        with self.lock:
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
            self._emit("athlete", athlete_id, "update", athlete_id, {"authorized": "false"})
            return {"access_token": token}

    def athlete_profile(self, athlete_id: int) -> dict[str, Any]:
        with self.lock:
            return payloads.clone(self._athlete(athlete_id).profile)

    # ---- activities -----------------------------------------------------------------

    def _owned(self, athlete_id: int, activity_id: int) -> dict[str, Any]:
        activity = self.activities.get(activity_id)
        if activity is None or activity["athlete"]["id"] != athlete_id:
            raise StravaFault(404, ACTIVITY_NOT_FOUND)
        return activity

    def _stored(self, activity_id: int) -> dict[str, Any]:
        activity = self.activities.get(activity_id)
        if activity is None:
            raise StravaFault(404, ACTIVITY_NOT_FOUND)
        return activity

    def api_get_activity(self, athlete_id: int, activity_id: int) -> dict[str, Any]:
        """GET /api/v3/activities/{id}; runs any "after get" hook once the answer is built."""
        with self.lock:
            activity = self._owned(athlete_id, activity_id)
            answer = payloads.clone(activity)
            for hook in [h for h in self.hooks if h["activity_id"] == activity_id]:
                if hook.get("after", "get") == "get":
                    self.hooks.remove(hook)
                    if "set_description" in hook:
                        activity["description"] = hook["set_description"]
            return answer

    def api_update_activity(
        self, athlete_id: int, activity_id: int, body: dict[str, Any]
    ) -> dict[str, Any]:
        """PUT /api/v3/activities/{id}: UpdatableActivity fields only, others ignored."""
        with self.lock:
            activity = self._owned(athlete_id, activity_id)
            changes = {k: body[k] for k in UPDATABLE_FIELDS if k in body}
            # "In a request where both type and sport_type are present, [type] will be ignored"
            if "sport_type" in changes:
                changes.pop("type", None)
            elif "type" in changes:
                changes["sport_type"] = changes.pop("type")
            if changes.get("gear_id") == "none":
                changes["gear_id"] = None
            self._apply(activity, changes)
            return payloads.clone(activity)

    def _apply(self, activity: dict[str, Any], changes: dict[str, Any]) -> None:
        """Change stored fields and push an update event for title, type or privacy."""
        updates: dict[str, str] = {}
        for key, value in changes.items():
            if key in BOOL_FIELDS:
                value = as_bool(value)
            if key == "name" and value != activity["name"]:
                updates["title"] = str(value)
            if key == "sport_type":
                if value != activity["sport_type"]:
                    updates["type"] = str(value)
                activity["type"] = payloads.legacy_type(str(value))
            if key == "private":
                if value != activity["private"]:
                    updates["private"] = "true" if value else "false"
                activity["visibility"] = "only_me" if value else "everyone"
            if key == "gear_id" and value is None:
                activity["gear"] = None
            activity[key] = value
        if updates:
            self._emit("activity", activity["id"], "update", activity["athlete"]["id"], updates)

    def api_list_activities(self, athlete_id: int, args: dict[str, Any]) -> list[dict[str, Any]]:
        """GET /api/v3/athlete/activities: newest first, per_page clamped to 200."""

        def number(name: str, default: int | None) -> int | None:
            raw = args.get(name)
            if raw in (None, ""):
                return default
            try:
                return int(float(raw))
            except ValueError:
                raise StravaFault(400, fault("Bad Request", "Activity", name, "invalid")) from None

        before, after = number("before", None), number("after", None)
        page = max(1, number("page", 1) or 1)
        per_page = min(MAX_PER_PAGE, max(1, number("per_page", DEFAULT_PER_PAGE) or 1))
        with self.lock:
            mine = [a for a in self.activities.values() if a["athlete"]["id"] == athlete_id]
            starts = {a["id"]: payloads.parse_time(a["start_date"]) for a in mine}
            if before is not None:
                mine = [a for a in mine if starts[a["id"]] < before]
            if after is not None:
                mine = [a for a in mine if starts[a["id"]] > after]
            mine.sort(key=lambda a: (starts[a["id"]], a["id"]), reverse=True)
            chosen = mine[(page - 1) * per_page : page * per_page]
            return [payloads.summary_of(a) for a in chosen]

    def create_activity(self, athlete_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        """Store a new activity for an athlete and push the create event."""
        with self.lock:
            self._athlete(athlete_id)
            activity_id = next(self.activity_ids)
            try:
                activity = payloads.new_activity(activity_id, athlete_id, fields, self.now())
            except (TypeError, ValueError) as error:
                raise StravaFault(
                    400, fault("Bad Request", "Activity", "activity", str(error))
                ) from None
            self.activities[activity_id] = activity
            self._emit("activity", activity_id, "create", athlete_id, {})
            return payloads.clone(activity)

    def patch_activity(self, activity_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        """The athlete edits on their phone: name, sport_type/type, private, description."""
        with self.lock:
            activity = self._stored(activity_id)
            allowed = {k: v for k, v in changes.items() if k in {"name", "private", "description"}}
            if "sport_type" in changes or "type" in changes:
                allowed["sport_type"] = changes.get("sport_type") or changes["type"]
            self._apply(activity, allowed)
            return payloads.clone(activity)

    def delete_activity(self, activity_id: int) -> None:
        with self.lock:
            activity = self._stored(activity_id)
            del self.activities[activity_id]
            self.hooks = [h for h in self.hooks if h["activity_id"] != activity_id]
            self._emit("activity", activity_id, "delete", activity["athlete"]["id"], {})

    def stored_activity(self, activity_id: int) -> dict[str, Any]:
        with self.lock:
            return payloads.clone(self._stored(activity_id))

    def stored_activities(self, athlete_id: int | None) -> list[dict[str, Any]]:
        with self.lock:
            return [
                payloads.clone(a)
                for a in self.activities.values()
                if athlete_id is None or a["athlete"]["id"] == athlete_id
            ]

    def add_hook(self, hook: dict[str, Any]) -> dict[str, Any]:
        if hook.get("after", "get") != "get" or "activity_id" not in hook:
            raise StravaFault(400, fault("Bad Request", "Hook", "after", "invalid"))
        with self.lock:
            entry = {**hook, "activity_id": int(hook["activity_id"]), "after": "get"}
            self.hooks.append(entry)
            return dict(entry)

    # ---- webhooks -------------------------------------------------------------------

    def _emit(
        self,
        object_type: str,
        object_id: int,
        aspect_type: str,
        owner_id: int,
        updates: dict[str, str],
    ) -> None:
        """Queue an event in Strava's shape (call with the lock held, to keep order)."""
        subscription = self.subscription
        event = {
            "aspect_type": aspect_type,
            "event_time": int(self.now()),
            "object_id": int(object_id),
            "object_type": object_type,
            "owner_id": int(owner_id),
            "subscription_id": int(subscription["id"]) if subscription else None,
            "updates": updates,
        }
        self.webhooks.enqueue(event, subscription["callback_url"] if subscription else None)

    def check_app(self, client_id: Any, client_secret: Any) -> None:
        """Push-subscription calls authenticate the application, not an athlete."""
        try:
            valid = int(client_id) == self.config.client_id and secrets.compare_digest(
                str(client_secret or ""), self.config.client_secret
            )
        except (TypeError, ValueError):
            valid = False
        if not valid:
            raise StravaFault(401, fault("Authorization Error", "Application", "", "invalid"))

    def create_subscription(self, form: dict[str, Any]) -> dict[str, Any]:
        """Validate the callback with Strava's GET handshake, then store the subscription."""
        self.check_app(form.get("client_id"), form.get("client_secret"))
        callback_url = str(form.get("callback_url") or "")
        verify_token = str(form.get("verify_token") or "")
        for name, value in (("callback_url", callback_url), ("verify_token", verify_token)):
            if not value:
                raise StravaFault(400, fault("Bad Request", "PushSubscription", name, "missing"))
        if len(callback_url) > 255:
            raise StravaFault(
                400, fault("Bad Request", "PushSubscription", "callback_url", "invalid")
            )
        with self.lock:
            if self.subscription is not None:
                raise StravaFault(
                    400, fault("Bad Request", "PushSubscription", "", "already exists")
                )
        # The handshake runs without the lock: the callback may call the sandbox back.
        self._handshake(callback_url, verify_token)
        with self.lock:
            if self.subscription is not None:
                raise StravaFault(
                    400, fault("Bad Request", "PushSubscription", "", "already exists")
                )
            now = self.now()
            self.subscription = {
                "id": next(self.subscription_ids),
                "resource_state": 2,
                "application_id": self.config.client_id,
                "callback_url": callback_url,
                "created_at": payloads.iso_z_nanos(now),
                "updated_at": payloads.iso_z_nanos(now),
            }
            self.verify_token = verify_token
            return dict(self.subscription)

    def _handshake(self, callback_url: str, verify_token: str) -> None:
        challenge = secrets.token_hex(16)
        params = {
            "hub.mode": "subscribe",
            "hub.challenge": challenge,
            "hub.verify_token": verify_token,
        }
        with new_http_session() as session:
            try:
                response = session.get(
                    callback_url, params=params, timeout=self.config.webhook_timeout_s
                )
            except requests.RequestException:
                response = None
            if response is None or response.status_code != 200:
                raise StravaFault(
                    400,
                    fault(
                        "Bad Request",
                        "PushSubscription",
                        "callback url",
                        "GET to callback URL does not return 200",
                    ),
                )
            try:
                echoed = response.json().get("hub.challenge")
            except (ValueError, AttributeError):
                echoed = None
            if echoed != challenge:
                raise StravaFault(
                    400,
                    fault("Bad Request", "PushSubscription", "callback url", "not verifiable"),
                )

    def list_subscriptions(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        self.check_app(args.get("client_id"), args.get("client_secret"))
        with self.lock:
            if self.subscription is None or str(args.get("page") or "1") != "1":
                return []
            listed = dict(self.subscription)
        # The list shows whole seconds where the create answer showed nanoseconds.
        for key in ("created_at", "updated_at"):
            listed[key] = listed[key].split(".")[0] + "Z"
        return [listed]

    def delete_subscription(self, subscription_id: int, form: dict[str, Any]) -> None:
        self.check_app(form.get("client_id"), form.get("client_secret"))
        with self.lock:
            if self.subscription is None or self.subscription["id"] != subscription_id:
                raise StravaFault(
                    404, fault("Record Not Found", "PushSubscription", "id", "invalid")
                )
            self.subscription = None
            self.verify_token = None

    # ---- rate limits, faults, stats --------------------------------------------------

    def count_request(self) -> tuple[RateWindow, bool]:
        """Count one API request; True when it is over a limit (it counts all the same).

        Every endpoint the sandbox serves is "non-upload", so one request adds to the
        overall and the read usage alike. Windows follow the injectable clock: quarter
        hours at :00/:15/:30/:45 UTC, days at 00:00 UTC.
        """
        with self.lock:
            now = self.now()
            quarter, day = int(now // 900), int(now // 86400)
            rate = self.rate
            if day != rate.day:
                rate.day, rate.daily = day, 0
            if quarter != rate.quarter:
                rate.quarter, rate.short = quarter, 0
            rate.short += 1
            rate.daily += 1
            cfg = self.config
            limited = rate.short > min(
                cfg.overall_limit_15min, cfg.read_limit_15min
            ) or rate.daily > min(cfg.overall_limit_daily, cfg.read_limit_daily)
            if limited:
                self.stats.rate_limited += 1
            return dataclasses.replace(rate), limited

    def rate_headers(self, usage: RateWindow) -> dict[str, str]:
        cfg = self.config
        return {
            "X-RateLimit-Limit": f"{cfg.overall_limit_15min},{cfg.overall_limit_daily}",
            "X-RateLimit-Usage": f"{usage.short},{usage.daily}",
            "X-ReadRateLimit-Limit": f"{cfg.read_limit_15min},{cfg.read_limit_daily}",
            "X-ReadRateLimit-Usage": f"{usage.short},{usage.daily}",
        }

    def pick_fault(self, method: str, path: str) -> int | None:
        """The status of an injected failure for this request, or None."""
        with self.lock:
            for rule in self.fail_next:
                if not path.startswith(rule.get("path_prefix") or "/"):
                    continue
                if rule.get("method") and rule["method"].upper() != method:
                    continue
                rule["count"] -= 1
                if rule["count"] <= 0:
                    self.fail_next.remove(rule)
                self.stats.faults_injected += 1
                return int(rule.get("status", 500))
            if self.config.error_rate > 0 and self.rng.random() < self.config.error_rate:
                self.stats.faults_injected += 1
                return 503
            return None

    def faults(self) -> dict[str, Any]:
        with self.lock:
            cfg = self.config
            return {
                "latency_s": cfg.latency_s,
                "error_rate": cfg.error_rate,
                "limits": {
                    "overall_15min": cfg.overall_limit_15min,
                    "overall_daily": cfg.overall_limit_daily,
                    "read_15min": cfg.read_limit_15min,
                    "read_daily": cfg.read_limit_daily,
                },
                "fail_next": [dict(rule) for rule in self.fail_next],
            }

    def set_faults(self, body: dict[str, Any]) -> dict[str, Any]:
        """Change latency, error rate, limits or the fail_next list (which it replaces)."""
        with self.lock:
            cfg = self.config
            try:
                if "latency_s" in body:
                    cfg.latency_s = max(0.0, float(body["latency_s"]))
                if "error_rate" in body:
                    cfg.error_rate = min(1.0, max(0.0, float(body["error_rate"])))
                if "seed" in body:
                    self.rng.seed(body["seed"])
                for key, value in (body.get("limits") or {}).items():
                    name = {
                        "overall_15min": "overall_limit_15min",
                        "overall_daily": "overall_limit_daily",
                        "read_15min": "read_limit_15min",
                        "read_daily": "read_limit_daily",
                    }[key]
                    setattr(cfg, name, int(value))
                if "fail_next" in body:
                    rules = []
                    for rule in body["fail_next"] or []:
                        status = int(rule.get("status", 500))
                        if not 400 <= status <= 599:
                            raise ValueError("status must be 4xx or 5xx")
                        rules.append(
                            {
                                "status": status,
                                "count": int(rule.get("count", 1)),
                                "path_prefix": str(rule.get("path_prefix") or "/"),
                                "method": (rule.get("method") or "").upper() or None,
                            }
                        )
                    self.fail_next = rules
            except (KeyError, TypeError, ValueError, AttributeError) as error:
                raise StravaFault(
                    400, fault("Bad Request", "Sandbox", "faults", f"invalid: {error}")
                ) from None
        return self.faults()

    def record_call(self, key: str) -> None:
        with self.lock:
            self.stats.calls[key] = self.stats.calls.get(key, 0) + 1
            self.stats.total += 1

    def stats_body(self) -> dict[str, Any]:
        with self.lock:
            return {
                "calls": dict(sorted(self.stats.calls.items())),
                "total": self.stats.total,
                "rate_limited": self.stats.rate_limited,
                "faults_injected": self.stats.faults_injected,
            }

    def reset_stats(self) -> None:
        with self.lock:
            self.stats = Stats()


def status_phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"
