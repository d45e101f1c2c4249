"""Counts no table holds (Strava calls, deferrals), shared by every process through Redis."""

from __future__ import annotations

import contextlib

import redis

COUNTERS_KEY = "postrun:counters"


class Counters:
    """Monotonic counters shared by every process, kept in one Redis hash."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def add(self, name: str, amount: int = 1) -> None:
        # A lost count must never fail the work it counts.
        with contextlib.suppress(redis.RedisError):
            self.client.hincrby(COUNTERS_KEY, name, amount)

    def read(self) -> dict[str, int]:
        counts = self.client.hgetall(COUNTERS_KEY).items()
        return {(k.decode() if isinstance(k, bytes) else k): int(v) for k, v in counts}
