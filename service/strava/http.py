"""The HTTP session stravalib uses: the one place where the sandbox and production differ.

stravalib always builds ``https://www.strava.com/...`` URLs
(docs/sources.md#pointing-stravalib-at-the-sandbox). Given a base URL, this session rewrites that
origin before sending, so the same client code talks to the sandbox in the demo
and tests, and to strava.com in production (no base URL: nothing is rewritten).
"""

from __future__ import annotations

from typing import Any

import requests

STRAVA_ORIGIN = "https://www.strava.com"

# Seconds to wait for Strava to connect and to answer. A webhook worker must never
# hang on a stalled socket: a timeout becomes a retry.
DEFAULT_TIMEOUT = (5.0, 30.0)


class StravaSession(requests.Session):
    """A requests session that can send Strava-bound requests to another origin."""

    def __init__(self, base_url: str | None = None, timeout: Any = DEFAULT_TIMEOUT) -> None:
        super().__init__()
        # The machine may export REQUESTS_CA_BUNDLE or proxies; the client's own
        # settings must win (docs/sources.md#ignoring-proxy-and-ca-settings-from-the-environment).
        self.trust_env = False
        self.base_url = base_url.rstrip("/") if base_url else None
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if isinstance(url, bytes):
            url = url.decode()
        if self.base_url and url.startswith(STRAVA_ORIGIN):
            url = self.base_url + url[len(STRAVA_ORIGIN) :]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)
