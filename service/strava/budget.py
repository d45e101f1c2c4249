"""One Strava rate budget for every worker, kept in Redis.

Strava limits the whole application, not a process: 200 requests per 15 minutes
and 2,000 per day overall, and 100 / 1,000 for "non-upload" calls, which is every
call postrun makes (docs/sources.md#rate-limits). Windows reset on the quarter hour and at
midnight UTC. A 429 still counts against the day.

Before each call a worker reserves one request in every window (both limits,
both spans). The counters follow the ``X-RateLimit-*`` and ``X-ReadRateLimit-*``
headers of each response, so calls made elsewhere with the same app count too.
Both window lengths are settings, so that a test or the quota benchmark can run
Strava's day on a fast clock shared with the sandbox (docs/operations.md#benchmark);
a day of 86,400 s starts at midnight UTC, as Strava's does.
When a window is spent the worker gets ``RateLimited`` with the seconds until it
resets, and the task is deferred rather than left sleeping. Low-priority work
(backfills) may use only part of each window, so fresh runs are never starved.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from collections.abc import Mapping

import redis

# Strava's defaults, used until a response tells us the real figures.
DEFAULT_LIMITS = {"overall": (200, 2000), "read": (100, 1000)}
HEADERS = {"overall": "x-ratelimit", "read": "x-readratelimit"}
# Share of each window that low-priority work may fill.
LOW_PRIORITY_SHARE = 0.6
# A call reserved this close to the end of a window may reach Strava in the next one,
# so it counts in both (docs/sources.md#rate-limits). At most a tenth of a window.
BOUNDARY_S = 0.5

# KEYS: the window keys. ARGV: calls, the share of each limit this caller may
# use, then for each key its default limit and ttl. Reserve in all windows or none.
_RESERVE = """
local calls = tonumber(ARGV[1])
local share = tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  local used = tonumber(redis.call('HGET', key, 'used') or '0')
  local limit = tonumber(redis.call('HGET', key, 'limit') or ARGV[1 + 2 * i])
  if used + calls > math.floor(limit * share) then
    return i
  end
end
for i, key in ipairs(KEYS) do
  redis.call('HINCRBY', key, 'used', calls)
  redis.call('EXPIRE', key, tonumber(ARGV[2 + 2 * i]))
end
return 0
"""

# KEYS[1]: a window key; ARGV: used, limit, ttl. Usage only ever goes up within a window.
_OBSERVE = """
local used = tonumber(ARGV[1])
local current = tonumber(redis.call('HGET', KEYS[1], 'used') or '0')
if used > current then
  redis.call('HSET', KEYS[1], 'used', used)
end
redis.call('HSET', KEYS[1], 'limit', ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 0
"""


class BudgetSpent(Exception):
    """The window is spent; ``retry_after_s`` says when the next one opens."""

    def __init__(self, window: str, retry_after_s: float) -> None:
        super().__init__(f"Strava budget spent in the {window} window")
        self.window = window
        self.retry_after_s = retry_after_s


def _parse_pair(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    try:
        short, daily = (int(part.strip()) for part in value.split(","))
    except ValueError:
        return None
    return short, daily


class RateBudget:
    def __init__(
        self,
        client: redis.Redis,
        clock: Callable[[], float] = time.time,
        window_s: int = 900,
        prefix: str = "postrun:budget",
        day_s: int = 86400,
    ) -> None:
        self.client = client
        self.clock = clock
        self.window_s = window_s
        self.day_s = day_s
        self.prefix = prefix
        self._reserve = client.register_script(_RESERVE)
        self._observe = client.register_script(_OBSERVE)

    def _windows(self, now: float | None = None) -> list[tuple[str, str, int, float]]:
        """(key, name, default limit, seconds left) for every window in force ``now``."""
        if now is None:
            now = self.clock()
        short_index = int(now // self.window_s)
        short_left = self.window_s - (now % self.window_s)
        # Epoch seconds start at midnight UTC, so whole days of 86,400 s are UTC dates.
        day_index = int(now // self.day_s)
        day_left = self.day_s - (now % self.day_s)
        found = []
        for kind, (short_limit, daily_limit) in DEFAULT_LIMITS.items():
            found.append(
                (
                    f"{self.prefix}:{kind}:short:{short_index}",
                    f"{kind} 15-minute",
                    short_limit,
                    short_left,
                )
            )
            found.append(
                (f"{self.prefix}:{kind}:day:{day_index}", f"{kind} daily", daily_limit, day_left)
            )
        return found

    def _keys(self, at: float | None) -> set[str] | None:
        """The keys of the windows in force at ``at`` (None for None: no limit on keys)."""
        return None if at is None else {window[0] for window in self._windows(at)}

    def reserve(self, calls: int = 1, priority: str = "high") -> None:
        """Take ``calls`` requests from every window, or raise ``BudgetSpent``.

        Near the end of a window the calls are also taken from the next one: the
        request may arrive after Strava has started counting it. Usage never comes
        down on Strava's word (``observe``), so the few calls counted twice are lost
        from the next window rather than risking a 429 in it.
        """
        now = self.clock()
        windows = self._windows(now)
        current = {window[0] for window in windows}
        soon = now + min(BOUNDARY_S, self.window_s / 10)
        windows += [window for window in self._windows(soon) if window[0] not in current]
        share = 1.0 if priority == "high" else LOW_PRIORITY_SHARE
        args: list[float] = [calls, share]
        for _key, _name, default, left in windows:
            args += [default, int(left) + 60]
        spent = int(self._reserve(keys=[w[0] for w in windows], args=args))
        if spent:
            _key, name, _default, left = windows[spent - 1]
            raise BudgetSpent(name, left)

    def reserve_for(self, athlete_id: int, limit: int) -> None:
        """Take one call from ``athlete_id``'s own share of the short window.

        Events are not signed: whoever learns the subscription id can send creates
        for a real athlete, and each costs reads until its grace runs out. The share
        keeps such a flood, or one athlete's burst, from spending every athlete's
        window. Raises ``BudgetSpent`` when the athlete's share is used up.
        """
        now = self.clock()
        key = f"{self.prefix}:athlete:{athlete_id}:{int(now // self.window_s)}"
        left = self.window_s - (now % self.window_s)
        pipe = self.client.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, int(left) + 60)
        used = int(pipe.execute()[0])
        if used > limit:
            raise BudgetSpent("athlete's 15-minute", left)

    def observe(self, headers: Mapping[str, str], sent_at: float | None = None) -> None:
        """Bring the counters up to what Strava says it has counted.

        ``sent_at``: when the request went out. A window that opened between then and
        now is left alone: Strava may have counted the request, and the usage in its
        answer, in the window before (docs/sources.md#rate-limits).
        """
        lowered = {k.lower(): v for k, v in headers.items()}
        windows = {name: (key, left) for key, name, _default, left in self._windows()}
        since = self._keys(sent_at)
        for kind, header in HEADERS.items():
            limits = _parse_pair(lowered.get(f"{header}-limit"))
            usage = _parse_pair(lowered.get(f"{header}-usage"))
            if limits is None or usage is None:
                continue
            for span, index in (("15-minute", 0), ("daily", 1)):
                key, left = windows[f"{kind} {span}"]
                if since is not None and key not in since:
                    continue
                self._observe(keys=[key], args=[usage[index], limits[index], int(left) + 60])

    def exhaust(self, sent_at: float | None = None) -> None:
        """After a 429: mark the short windows spent, so every worker waits for the next one.

        Not a window that opened after ``sent_at``: the 429 was the window before's.
        """
        since = self._keys(sent_at)
        for key, name, default, left in self._windows():
            if name.endswith("15-minute") and (since is None or key in since):
                limit = int(self.client.hget(key, "limit") or default)
                self._observe(keys=[key], args=[limit, limit, int(left) + 60])

    def usage(self) -> dict[str, tuple[int, int]]:
        """(used, limit) per window, for metrics and tests."""
        found = {}
        for key, name, default, _left in self._windows():
            used = int(self.client.hget(key, "used") or 0)
            limit = int(self.client.hget(key, "limit") or default)
            found[name] = (used, limit)
        return found
