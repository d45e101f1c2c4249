"""Webhook event delivery: one background thread POSTing events in order, with retries."""

from __future__ import annotations

import http.client
import itertools
import json
import logging
import queue
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

# "Event pushes are retried (up to a total of three attempts) if a 200 is not returned."
# (https://developers.strava.com/docs/webhooks/)
MAX_ATTEMPTS = 3


# Callbacks live on loopback in tests and demos: an exported HTTP(S)_PROXY must not
# redirect them, so this opener has no proxy handler. The standard library rather than
# requests keeps the sandbox about 4 MB smaller (docs/operations.md#the-demo).
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# What a call that got no HTTP answer raises: refused, reset, timed out, a bad URL.
NO_ANSWER = (OSError, http.client.HTTPException, ValueError)


def call(url: str, timeout: float, body: object = None) -> tuple[int, bytes]:
    """GET ``url``, or POST ``body`` as JSON; the status and body, whatever the status."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) callback URL: {url!r}")
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data)  # noqa: S310 (http and https, checked above)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with _direct.open(request, timeout=timeout) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as answered:
        with answered:
            return answered.code, answered.read()


class WebhookDispatcher:
    """Queues events and delivers them to a callback URL from a single daemon thread.

    One thread keeps events in the order they happened, retries included: a retried event
    holds back the ones behind it. The thread starts on the first event, so building an
    app starts nothing. ``settings`` is read at each delivery so runtime changes apply.
    """

    def __init__(self, settings: Callable[[], tuple[float, float]]) -> None:
        self._settings = settings  # returns (retry_delay_s, timeout_s)
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._cond = threading.Condition()
        self._log: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._pending = 0
        self._generation = 0
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def enqueue(self, event: dict[str, Any], callback_url: str | None) -> None:
        """Record an event; deliver it if there is a callback, else log it as undelivered."""
        record: dict[str, Any] = {
            "id": next(self._ids),
            "event": event,
            "callback_url": callback_url,
            "attempts": 0,
            "status": None,
            "error": None,
            "state": "pending" if callback_url else "undelivered",
        }
        with self._cond:
            record["generation"] = self._generation
            self._log.append(record)
            if not callback_url:
                return
            if self._stopping.is_set():
                record["state"] = "undelivered"
                record["error"] = "sandbox stopping"
                return
            self._pending += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="sandbox-webhooks", daemon=True
                )
                self._thread.start()
        self._queue.put(record)

    def deliveries(self) -> list[dict[str, Any]]:
        """A snapshot of the delivery log, oldest first."""
        with self._cond:
            return [
                {
                    k: (dict(v) if isinstance(v, dict) else v)
                    for k, v in r.items()
                    if k != "generation"
                }
                for r in self._log
            ]

    def pending(self) -> int:
        with self._cond:
            return self._pending

    def wait_idle(self, timeout: float) -> bool:
        """Block until no delivery is pending or in progress; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending == 0, timeout)

    def reset(self) -> None:
        """Forget the log; events still queued from before are dropped, not delivered."""
        with self._cond:
            self._generation += 1
            self._log.clear()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread, abandoning queued events (it wakes from a retry wait at once)."""
        self._stopping.set()
        with self._cond:
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            record = self._queue.get()
            if record is None:
                return
            try:
                self._deliver(record)
            except Exception as error:  # keep the thread alive whatever a callback does
                log.exception("webhook delivery crashed")
                with self._cond:
                    record["state"] = "failed"
                    record["error"] = repr(error)
            finally:
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()

    def _deliver(self, record: dict[str, Any]) -> None:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            with self._cond:
                if record["generation"] != self._generation:
                    return  # the sandbox was reset meanwhile
            if self._stopping.is_set():
                with self._cond:
                    record["state"] = "undelivered"
                    record["error"] = "sandbox stopping"
                return
            retry_delay, timeout = self._settings()
            status: int | None = None
            error: str | None = None
            try:
                status, _ = call(record["callback_url"], timeout, record["event"])
            except NO_ANSWER as exc:
                error = f"{type(exc).__name__}: {exc}"
            with self._cond:
                record["attempts"] = attempt
                record["status"] = status
                record["error"] = error
                if status == 200:
                    record["state"] = "delivered"
                    return
            if attempt < MAX_ATTEMPTS and self._stopping.wait(retry_delay):
                break
        with self._cond:
            record["state"] = "failed"
