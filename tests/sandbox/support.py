"""Shared helpers of the sandbox tests: constants, a fake clock, control calls."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import requests

CLIENT_ID = 4242
CLIENT_SECRET = "test-client-secret"
# 2026-11-25 10:07:00 UTC: a Wednesday morning, 7 minutes into a quarter hour.
START = 1795601220.0


class FakeClock:
    """A settable clock for the sandbox: tests move time instead of sleeping."""

    def __init__(self, now: float = START) -> None:
        self.now = now
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds

    def set(self, now: float) -> None:
        with self._lock:
            self.now = now


class Control:
    """JSON calls to the sandbox's /sandbox control endpoints."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.trust_env = False

    def get(self, path: str, **kwargs: Any) -> Any:
        response = self.http.get(self.base + path, timeout=15, **kwargs)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: Any = None, expect: int | None = None, **kwargs: Any) -> Any:
        response = self.http.post(self.base + path, json=body, timeout=15, **kwargs)
        if expect is not None:
            assert response.status_code == expect, response.text
        else:
            response.raise_for_status()
        return response.json() if response.content else None

    def athlete(self, **spec: Any) -> dict[str, Any]:
        return self.post("/sandbox/athletes", spec)

    def activity(self, athlete_id: int, **fields: Any) -> dict[str, Any]:
        return self.post("/sandbox/activities", {"athlete_id": athlete_id, "activity": fields})

    def deliveries(self) -> list[dict[str, Any]]:
        """The webhook log once every queued delivery has finished."""
        answer = self.get("/sandbox/webhooks", params={"wait": 1, "timeout": 10})
        assert answer["idle"], answer
        return answer["deliveries"]


@dataclass
class Callback:
    """A stand-in for our webhook endpoint, recording what Strava sends."""

    url: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    handshakes: list[dict[str, str]] = field(default_factory=list)
    verify_token: str = "verify-me"
    fail_posts: int = 0  # answer this many event POSTs with 500 first
    wrong_challenge: bool = False
    post_statuses: list[int] = field(default_factory=list)
