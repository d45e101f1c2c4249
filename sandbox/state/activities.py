"""Activities: what the API reads, lists and updates, and what the control API uploads.

The fields follow Strava's API reference, https://developers.strava.com/docs/reference/:
``PUT /activities/{id}`` takes an ``UpdatableActivity`` and ignores other keys, and
``GET /athlete/activities`` lists ``SummaryActivity`` answers, newest first, at most 200
per page. Update events fire for title, type and privacy only, as
https://developers.strava.com/docs/webhooks/ says.
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

from sandbox import payloads
from sandbox.errors import bad_request
from sandbox.errors import not_found
from sandbox.state.accounts import Accounts
from sandbox.state.shared import Shared
from sandbox.state.subscriptions import Subscriptions

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
# What the athlete can change "on their phone" through PATCH /sandbox/activities/{id}.
# What the athlete can change on the phone or the website: the title, privacy and
# description; the run's type (race, long run, workout); and, by cropping, its distance
# and times. Only the first two kinds are announced by an update event.
PHONE_FIELDS = frozenset(
    {
        "name",
        "private",
        "description",
        "workout_type",
        "distance",
        "moving_time",
        "elapsed_time",
    }
)
MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 30


def as_bool(value: Any) -> bool:
    """Form fields arrive as strings ("true", "1"); JSON ones as booleans."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


class Activities:
    """Every athlete's activities, plus the "after get" hooks tests use to race an edit."""

    def __init__(self, shared: Shared, accounts: Accounts, events: Subscriptions) -> None:
        self.shared = shared
        self.accounts = accounts
        self.events = events
        self.clear()

    def clear(self) -> None:
        self.activities: dict[int, dict[str, Any]] = {}
        self.hooks: list[dict[str, Any]] = []
        self.ids = itertools.count(10_000_000_001)

    def _owned(self, athlete_id: int, activity_id: int) -> dict[str, Any]:
        activity = self.activities.get(activity_id)
        if activity is None or activity["athlete"]["id"] != athlete_id:
            raise not_found("Activity")
        return activity

    def _stored(self, activity_id: int) -> dict[str, Any]:
        activity = self.activities.get(activity_id)
        if activity is None:
            raise not_found("Activity")
        return activity

    # ---- the Strava API -----------------------------------------------------------

    def api_get(self, athlete_id: int, activity_id: int) -> dict[str, Any]:
        """GET /api/v3/activities/{id}; runs any "after get" hook once the answer is built."""
        with self.shared.lock:
            activity = self._owned(athlete_id, activity_id)
            answer = payloads.clone(activity)
            for hook in [h for h in self.hooks if h["activity_id"] == activity_id]:
                if hook.get("after", "get") == "get":
                    self.hooks.remove(hook)
                    if "set_description" in hook:
                        activity["description"] = hook["set_description"]
            return answer

    def api_update(self, athlete_id: int, activity_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """PUT /api/v3/activities/{id}: UpdatableActivity fields only, others ignored."""
        with self.shared.lock:
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
            owner = activity["athlete"]["id"]
            self.events.emit("activity", activity["id"], "update", owner, updates)

    def api_list(self, athlete_id: int, args: dict[str, Any]) -> list[dict[str, Any]]:
        """GET /api/v3/athlete/activities: newest first, per_page clamped to 200."""

        def number(name: str, default: int | None) -> int | None:
            raw = args.get(name)
            if raw in (None, ""):
                return default
            try:
                return int(float(raw))
            except ValueError:
                raise bad_request("Activity", name, "invalid") from None

        before, after = number("before", None), number("after", None)
        page = max(1, number("page", 1) or 1)
        per_page = min(MAX_PER_PAGE, max(1, number("per_page", DEFAULT_PER_PAGE) or 1))
        with self.shared.lock:
            mine = [a for a in self.activities.values() if a["athlete"]["id"] == athlete_id]
            starts = {a["id"]: payloads.parse_time(a["start_date"]) for a in mine}
            if before is not None:
                mine = [a for a in mine if starts[a["id"]] < before]
            if after is not None:
                mine = [a for a in mine if starts[a["id"]] > after]
            mine.sort(key=lambda a: (starts[a["id"]], a["id"]), reverse=True)
            chosen = mine[(page - 1) * per_page : page * per_page]
            return [payloads.summary_of(a) for a in chosen]

    # ---- the control API ----------------------------------------------------------

    def create(self, athlete_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        """Store a new activity for an athlete and push the create event."""
        with self.shared.lock:
            self.accounts.athlete(athlete_id)
            activity_id = next(self.ids)
            try:
                activity = payloads.new_activity(activity_id, athlete_id, fields, self.shared.now())
            except (TypeError, ValueError) as error:
                raise bad_request("Activity", "activity", str(error)) from None
            self.activities[activity_id] = activity
            self.events.emit("activity", activity_id, "create", athlete_id, {})
            return payloads.clone(activity)

    def patch(self, activity_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        """The athlete edits on their phone: PHONE_FIELDS, and sport_type/type."""
        with self.shared.lock:
            activity = self._stored(activity_id)
            allowed = {k: v for k, v in changes.items() if k in PHONE_FIELDS}
            if "sport_type" in changes or "type" in changes:
                allowed["sport_type"] = changes.get("sport_type") or changes["type"]
            self._apply(activity, allowed)
            return payloads.clone(activity)

    def delete(self, activity_id: int) -> None:
        with self.shared.lock:
            activity = self._stored(activity_id)
            del self.activities[activity_id]
            self.hooks = [h for h in self.hooks if h["activity_id"] != activity_id]
            self.events.emit("activity", activity_id, "delete", activity["athlete"]["id"], {})

    def stored(self, activity_id: int) -> dict[str, Any]:
        with self.shared.lock:
            return payloads.clone(self._stored(activity_id))

    def stored_all(self, athlete_id: int | None) -> list[dict[str, Any]]:
        with self.shared.lock:
            return [
                payloads.clone(a)
                for a in self.activities.values()
                if athlete_id is None or a["athlete"]["id"] == athlete_id
            ]

    def counts(self) -> Counter[int]:
        """How many activities each athlete has (for the home page)."""
        with self.shared.lock:
            return Counter(a["athlete"]["id"] for a in self.activities.values())

    def add_hook(self, hook: dict[str, Any]) -> dict[str, Any]:
        if hook.get("after", "get") != "get" or "activity_id" not in hook:
            raise bad_request("Hook", "after", "invalid")
        with self.shared.lock:
            entry = {**hook, "activity_id": int(hook["activity_id"]), "after": "get"}
            self.hooks.append(entry)
            return dict(entry)
