"""Everything the sandbox remembers, in memory, split by concern behind one shared lock.

- :mod:`sandbox.state.accounts`: athletes, codes and tokens (OAuth);
- :mod:`sandbox.state.activities`: activities and the "after get" hooks;
- :mod:`sandbox.state.subscriptions`: the push subscription and webhook events;
- :mod:`sandbox.state.rates`: rate-limit windows and call counts;
- :mod:`sandbox.state.faults`: injected latency, errors and failures.

Methods raise :class:`sandbox.errors.StravaFault` with Strava's error body; the Flask
blueprints only turn requests into calls and results into responses.
"""

from __future__ import annotations

from typing import Any

from sandbox.config import SandboxConfig
from sandbox.state.accounts import Accounts
from sandbox.state.activities import Activities
from sandbox.state.faults import Faults
from sandbox.state.rates import Traffic
from sandbox.state.shared import Shared
from sandbox.state.subscriptions import Subscriptions
from sandbox.webhooks import WebhookDispatcher


class SandboxState:
    """The simulated Strava: one object per part, all sharing a configuration and lock."""

    def __init__(self, config: SandboxConfig) -> None:
        self.shared = Shared(config)
        self.config = self.shared.config
        self.subscriptions = Subscriptions(self.shared)
        self.accounts = Accounts(self.shared, self.subscriptions)
        self.activities = Activities(self.shared, self.accounts, self.subscriptions)
        self.traffic = Traffic(self.shared)
        self.faults = Faults(self.shared, self.traffic)

    @property
    def webhooks(self) -> WebhookDispatcher:
        """The delivery thread and its log (``SandboxServer`` waits on it and stops it)."""
        return self.subscriptions.webhooks

    def reset(self) -> None:
        """Forget everything except the configuration."""
        with self.shared.lock:
            for part in (
                self.subscriptions,
                self.accounts,
                self.activities,
                self.traffic,
                self.faults,
            ):
                part.clear()
            self.webhooks.reset()

    def create_activity(self, athlete_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        """Store an activity as ``POST /sandbox/activities`` does (for in-process tests)."""
        return self.activities.create(athlete_id, fields)
