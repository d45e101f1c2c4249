"""A small HTTP client for the demo: the sandbox's control API and a browser's OAuth round.

Standard library only (urllib with a cookie jar), so the demo's own process
stays small; the test stack uses requests.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from typing import Any


class Browser:
    def __init__(self) -> None:
        self.cookies = CookieJar()
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(self.cookies)
        )

    def request(
        self, method: str, url: str, body: Any = None, form: dict[str, Any] | None = None
    ) -> tuple[str, bytes]:
        """Send one request (redirects followed); return the final URL and the body."""
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 (http to 127.0.0.1)
        with self._opener.open(request, timeout=30) as response:
            return response.geturl(), response.read()

    def json(self, method: str, url: str, body: Any = None) -> Any:
        _url, content = self.request(method, url, body=body)
        return json.loads(content) if content else None

    def connect(self, web_url: str, athlete_id: int) -> str:
        """Connect ``athlete_id`` as a person would: Connect, the consent page, Authorize.

        Returns the page the app lands on (its settings page).
        """
        consent_url, _page = self.request("GET", f"{web_url}/connect")
        parts = urllib.parse.urlsplit(consent_url)
        fields = dict(urllib.parse.parse_qsl(parts.query))
        scopes = [s for s in fields.get("scope", "").split(",") if s]
        form = {
            **fields,
            "athlete_id": str(athlete_id),
            "consent": "page",
            "granted": scopes,
            "decision": "approve",
        }
        landed, _body = self.request(
            "POST", urllib.parse.urlunsplit(parts._replace(query="")), form=form
        )
        return landed
