"""Webhook event delivery: one background thread POSTing events in order, with retries."""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

import requests

log = logging.getLogger(__name__)

# "Event pushes are retried (up to a total of three attempts) if a 200 is not returned."
# (https://developers.strava.com/docs/webhooks/)
MAX_ATTEMPTS = 3


def new_http_session() -> requests.Session:
    """A session that ignores proxy and CA settings from the environment.

    Callbacks live on loopback in tests and demos; an exported HTTP(S)_PROXY or
    REQUESTS_CA_BUNDLE must not redirect or break them. requests reads those variables
    only when ``trust_env`` is true, see
    https://requests.readthedocs.io/en/latest/api/#requests.Session.trust_env.
    """
    session = requests.Session()
    session.trust_env = False
    return session


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
        session = new_http_session()
        try:
            while True:
                record = self._queue.get()
                if record is None:
                    return
                try:
                    self._deliver(session, record)
                except Exception as error:  # keep the thread alive whatever a callback does
                    log.exception("webhook delivery crashed")
                    with self._cond:
                        record["state"] = "failed"
                        record["error"] = repr(error)
                finally:
                    with self._cond:
                        self._pending -= 1
                        self._cond.notify_all()
        finally:
            session.close()

    def _deliver(self, session: requests.Session, record: dict[str, Any]) -> None:
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
                response = session.post(
                    record["callback_url"], json=record["event"], timeout=timeout
                )
                status = response.status_code
                response.close()
            except requests.RequestException as exc:
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
