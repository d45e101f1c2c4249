"""Rate-limit windows, Strava's rate-limit headers, and the per-route call counts.

From https://developers.strava.com/docs/rate-limits/: limits are per application, over a
15-minute window that resets at :00, :15, :30 and :45 and a day that resets at midnight
UTC; every answer carries ``X-RateLimit-Limit``/``-Usage`` and
``X-ReadRateLimit-Limit``/``-Usage`` as "15min,daily"; a request over a limit gets a 429
and still counts. Both lengths are settings (``--rate-window-s``, ``--rate-day-s``) so a
benchmark can run a day on a fast clock with postrun set to the same lengths.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from sandbox.state.shared import Shared


@dataclass
class RateWindow:
    """Usage in the current short window and day (both count every request)."""

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


class Traffic:
    """Counts requests: against the rate limits, and per route for ``/sandbox/stats``."""

    def __init__(self, shared: Shared) -> None:
        self.shared = shared
        self.clear()

    def clear(self) -> None:
        self.rate = RateWindow()
        self.stats = Stats()

    def count_request(self) -> tuple[RateWindow, bool]:
        """Count one API request; True when it is over a limit (it counts all the same).

        Every endpoint the sandbox serves is "non-upload", so one request adds to the
        overall and the read usage alike. Windows follow the injectable clock.
        """
        with self.shared.lock:
            now = self.shared.now()
            cfg = self.shared.config
            quarter, day = int(now // cfg.rate_window_s), int(now // cfg.rate_day_s)
            rate = self.rate
            if day != rate.day:
                rate.day, rate.daily = day, 0
            if quarter != rate.quarter:
                rate.quarter, rate.short = quarter, 0
            rate.short += 1
            rate.daily += 1
            limited = rate.short > min(
                cfg.overall_limit_15min, cfg.read_limit_15min
            ) or rate.daily > min(cfg.overall_limit_daily, cfg.read_limit_daily)
            if limited:
                self.stats.rate_limited += 1
            return dataclasses.replace(rate), limited

    def rate_headers(self, usage: RateWindow) -> dict[str, str]:
        cfg = self.shared.config
        return {
            "X-RateLimit-Limit": f"{cfg.overall_limit_15min},{cfg.overall_limit_daily}",
            "X-RateLimit-Usage": f"{usage.short},{usage.daily}",
            "X-ReadRateLimit-Limit": f"{cfg.read_limit_15min},{cfg.read_limit_daily}",
            "X-ReadRateLimit-Usage": f"{usage.short},{usage.daily}",
        }

    def record_call(self, key: str) -> None:
        with self.shared.lock:
            self.stats.calls[key] = self.stats.calls.get(key, 0) + 1
            self.stats.total += 1

    def count_fault(self) -> None:
        with self.shared.lock:
            self.stats.faults_injected += 1

    def stats_body(self) -> dict[str, Any]:
        with self.shared.lock:
            return {
                "calls": dict(sorted(self.stats.calls.items())),
                "total": self.stats.total,
                "rate_limited": self.stats.rate_limited,
                "faults_injected": self.stats.faults_injected,
            }

    def reset_stats(self) -> None:
        with self.shared.lock:
            self.stats = Stats()
