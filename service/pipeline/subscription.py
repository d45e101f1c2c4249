"""Which push subscription is ours: stored by ``postrun subscribe``, cached briefly."""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session

from service.storage.models import AppState

SUBSCRIPTION_KEY = "strava_subscription_id"
# The webhook reads the stored id at most this often per process.
CACHE_S = 10.0


class SubscriptionCache:
    """The stored subscription id and when it was read, shared by a process's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._read_at = 0.0
        self._value: int | None = None

    def recent(self, now: float) -> int | None:
        """The id read in the last ``CACHE_S`` seconds (None if it is older, or unset)."""
        with self._lock:
            return self._value if now - self._read_at < CACHE_S else None

    def read(self, session: Session, now: float, fresh: bool = False) -> int | None:
        """The stored id: from the cache while recent (unless ``fresh``), else the database."""
        with self._lock:
            if not fresh and self._value is not None and now - self._read_at < CACHE_S:
                return self._value
        stored = session.get(AppState, SUBSCRIPTION_KEY)
        value = int(stored.value) if stored else None
        with self._lock:
            self._read_at, self._value = now, value
        return value

    def forget(self) -> None:
        """The stored id changed: the next read goes to the database."""
        with self._lock:
            self._read_at, self._value = 0.0, None
