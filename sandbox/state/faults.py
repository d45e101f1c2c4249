"""Injected trouble: latency, a random error rate, and "fail the next N calls" rules.

``POST /sandbox/faults`` changes these (and the rate limits) while the sandbox runs, so
a test can make Strava slow, flaky or over its limits without restarting anything.
"""

from __future__ import annotations

import random
from typing import Any

from sandbox.errors import bad_request
from sandbox.state.rates import Traffic
from sandbox.state.shared import Shared

# The names of ``limits`` in /sandbox/faults and the settings they change.
LIMIT_SETTINGS = {
    "overall_15min": "overall_limit_15min",
    "overall_daily": "overall_limit_daily",
    "read_15min": "read_limit_15min",
    "read_daily": "read_limit_daily",
}


def _rule(raw: dict[str, Any]) -> dict[str, Any]:
    """One fail_next rule with its defaults filled in."""
    status = int(raw.get("status", 500))
    if not 400 <= status <= 599:
        raise ValueError("status must be 4xx or 5xx")
    return {
        "status": status,
        "count": int(raw.get("count", 1)),
        "path_prefix": str(raw.get("path_prefix") or "/"),
        "method": (raw.get("method") or "").upper() or None,
    }


class Faults:
    """Decides, request by request, whether to answer with an injected error."""

    def __init__(self, shared: Shared, traffic: Traffic) -> None:
        self.shared = shared
        self.traffic = traffic
        # Seeded so a fault-injection run can be replayed; not a security use.
        self.rng = random.Random(shared.config.seed)  # noqa: S311
        self.clear()

    def clear(self) -> None:
        self.fail_next: list[dict[str, Any]] = []

    def pick(self, method: str, path: str) -> int | None:
        """The status of an injected failure for this request, or None."""
        with self.shared.lock:
            for rule in self.fail_next:
                if not path.startswith(rule.get("path_prefix") or "/"):
                    continue
                if rule.get("method") and rule["method"].upper() != method:
                    continue
                rule["count"] -= 1
                if rule["count"] <= 0:
                    self.fail_next.remove(rule)
                self.traffic.count_fault()
                return int(rule.get("status", 500))
            error_rate = self.shared.config.error_rate
            if error_rate > 0 and self.rng.random() < error_rate:
                self.traffic.count_fault()
                return 503
            return None

    def describe(self) -> dict[str, Any]:
        with self.shared.lock:
            cfg = self.shared.config
            return {
                "latency_s": cfg.latency_s,
                "error_rate": cfg.error_rate,
                "limits": {name: getattr(cfg, setting) for name, setting in LIMIT_SETTINGS.items()},
                "fail_next": [dict(rule) for rule in self.fail_next],
            }

    def change(self, body: dict[str, Any]) -> dict[str, Any]:
        """Change latency, error rate, limits or the fail_next list (which it replaces)."""
        with self.shared.lock:
            cfg = self.shared.config
            try:
                if "latency_s" in body:
                    cfg.latency_s = max(0.0, float(body["latency_s"]))
                if "error_rate" in body:
                    cfg.error_rate = min(1.0, max(0.0, float(body["error_rate"])))
                if "seed" in body:
                    self.rng.seed(body["seed"])
                for key, value in (body.get("limits") or {}).items():
                    setattr(cfg, LIMIT_SETTINGS[key], int(value))
                if "fail_next" in body:
                    self.fail_next = [_rule(rule) for rule in body["fail_next"] or []]
            except (KeyError, TypeError, ValueError, AttributeError) as error:
                raise bad_request("Sandbox", "faults", f"invalid: {error}") from None
        return self.describe()
