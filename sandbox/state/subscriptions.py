"""The application's one push subscription, its callback handshake, and the events it gets.

Strava's rules, from https://developers.strava.com/docs/webhooks/: one subscription per
application; creating it first sends the callback a ``GET`` with ``hub.challenge``, which
must come back as JSON; events carry ``object_type``, ``object_id``, ``aspect_type``,
``updates``, ``owner_id``, ``subscription_id`` and ``event_time``.
"""

from __future__ import annotations

import itertools
import json
import secrets
import urllib.parse
from typing import Any

from sandbox import payloads
from sandbox.errors import StravaFault
from sandbox.errors import bad_request
from sandbox.errors import fault
from sandbox.errors import not_found
from sandbox.state.shared import Shared
from sandbox.webhooks import NO_ANSWER
from sandbox.webhooks import WebhookDispatcher
from sandbox.webhooks import call

MAX_CALLBACK_URL = 255


class Subscriptions:
    """The push subscription and the event queue every state change reports to."""

    def __init__(self, shared: Shared) -> None:
        self.shared = shared
        config = shared.config
        self.webhooks = WebhookDispatcher(
            lambda: (config.webhook_retry_delay_s, config.webhook_timeout_s)
        )
        self.clear()

    def clear(self) -> None:
        self.subscription: dict[str, Any] | None = None
        self.verify_token: str | None = None
        self.ids = itertools.count(120_001)

    def emit(
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
            "event_time": int(self.shared.now()),
            "object_id": int(object_id),
            "object_type": object_type,
            "owner_id": int(owner_id),
            "subscription_id": int(subscription["id"]) if subscription else None,
            "updates": updates,
        }
        self.webhooks.enqueue(event, subscription["callback_url"] if subscription else None)

    def check_app(self, client_id: Any, client_secret: Any) -> None:
        """Push-subscription calls authenticate the application, not an athlete."""
        if not (self.shared.is_client(client_id) and self.shared.is_secret(client_secret)):
            raise StravaFault(401, fault("Authorization Error", "Application", "", "invalid"))

    def _refuse_a_second(self) -> None:
        if self.subscription is not None:
            raise bad_request("PushSubscription", "", "already exists")

    def create(self, form: dict[str, Any]) -> dict[str, Any]:
        """Validate the callback with Strava's GET handshake, then store the subscription."""
        self.check_app(form.get("client_id"), form.get("client_secret"))
        callback_url = str(form.get("callback_url") or "")
        verify_token = str(form.get("verify_token") or "")
        for name, value in (("callback_url", callback_url), ("verify_token", verify_token)):
            if not value:
                raise bad_request("PushSubscription", name, "missing")
        if len(callback_url) > MAX_CALLBACK_URL:
            raise bad_request("PushSubscription", "callback_url", "invalid")
        with self.shared.lock:
            self._refuse_a_second()
        # The handshake runs without the lock: the callback may call the sandbox back.
        self._handshake(callback_url, verify_token)
        with self.shared.lock:
            self._refuse_a_second()
            now = self.shared.now()
            self.subscription = {
                "id": next(self.ids),
                "resource_state": 2,
                "application_id": self.shared.config.client_id,
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
        query = urllib.parse.urlencode(params)
        url = f"{callback_url}{'&' if '?' in callback_url else '?'}{query}"
        try:
            status, body = call(url, self.shared.config.webhook_timeout_s)
        except NO_ANSWER:
            status, body = None, b""
        if status != 200:
            raise bad_request(
                "PushSubscription", "callback url", "GET to callback URL does not return 200"
            )
        try:
            echoed = json.loads(body).get("hub.challenge")
        except (ValueError, AttributeError):
            echoed = None
        if echoed != challenge:
            raise bad_request("PushSubscription", "callback url", "not verifiable")

    def listed(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        self.check_app(args.get("client_id"), args.get("client_secret"))
        with self.shared.lock:
            if self.subscription is None or str(args.get("page") or "1") != "1":
                return []
            listed = dict(self.subscription)
        # The list shows whole seconds where the create answer showed nanoseconds.
        for key in ("created_at", "updated_at"):
            listed[key] = listed[key].split(".")[0] + "Z"
        return [listed]

    def delete(self, subscription_id: int, form: dict[str, Any]) -> None:
        self.check_app(form.get("client_id"), form.get("client_secret"))
        with self.shared.lock:
            if self.subscription is None or self.subscription["id"] != subscription_id:
                raise not_found("PushSubscription")
            self.subscription = None
            self.verify_token = None
