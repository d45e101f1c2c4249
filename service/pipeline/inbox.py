"""The webhook's inbox: a Redis stream that takes an event in one round trip.

Storing an event in the database and publishing a Celery message on every
webhook request held the acknowledgement path to about a tenth of a bare Flask
endpoint's rate (platform-notes.md). One ``XADD`` keeps most of it. Redis runs
with an append-only file synced every second, and it writes the entry to the
kernel before it replies, so an acknowledged event survives ``kill -9`` of any
process (an OS crash can lose up to a second).

Workers drain the stream as a consumer group: a batch is stored in the
database in one commit, enqueued only after that commit, and acknowledged (then
deleted) only after that. Entries a dead worker had read but not acknowledged
are claimed by another after ``CLAIM_IDLE_MS``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from service.pipeline.events import WebhookEvent

log = logging.getLogger(__name__)

STREAM = "postrun:inbox"
GROUP = "ingest"
# An entry read but not acknowledged for this long belonged to a worker that died.
CLAIM_IDLE_MS = 30_000
# How often a consumer looks for such entries; a fresh one looks at once.
CLAIM_EVERY_S = 5.0
BATCH = 200
# After a batch that did not fill, wait this long before reading again, so that under
# load the next read takes many entries in one round trip, one commit and a few task
# messages rather than one of each per event. A quiet inbox is read at once.
LINGER_S = 0.02
EVENT_FIELDS = tuple(field.name for field in dataclasses.fields(WebhookEvent))


def fast_client(url: str) -> redis.Redis:
    """A client that fails at once when Redis is away: the webhook then stores elsewhere."""
    return redis.Redis.from_url(
        url, socket_connect_timeout=0.5, socket_timeout=2, retry=Retry(NoBackoff(), 0)
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    entry_id: bytes
    event: WebhookEvent
    received_at: float


class Inbox:
    def __init__(self, client: redis.Redis, stream: str = STREAM) -> None:
        self.client = client
        self.stream = stream
        self._local = threading.local()

    def _connection(self) -> redis.connection.AbstractConnection:
        """This thread's own connection, made with the client's settings.

        The webhook's one command skips the pool: a pooled command also takes a lock
        and probes the socket for stray data (two more system calls) every time.
        """
        held = getattr(self._local, "held", None)
        if held is None or held[0] != os.getpid():  # none yet, or inherited over a fork
            pool = self.client.connection_pool
            held = (os.getpid(), pool.connection_class(**pool.connection_kwargs))
            self._local.held = held
            self._local.proven = False
        return held[1]

    def put(self, event: WebhookEvent, received_at: float) -> None:
        # Field by field: dataclasses.asdict deep-copies, and this runs on every webhook.
        body = {name: getattr(event, name) for name in EVENT_FIELDS}
        body["received_at"] = received_at
        payload = json.dumps(body)
        connection = self._connection()
        # A connection that worked before may have been closed by a Redis restart: it
        # gets one fresh try. (Should the first XADD have landed after all, the copy is
        # a duplicate, and duplicates collapse when the worker stores them.)
        tries = 2 if getattr(self._local, "proven", False) else 1
        for attempt in range(1, tries + 1):
            try:
                connection.send_command("XADD", self.stream, "*", "event", payload)
                connection.read_response()  # raises on an error reply
            except BaseException as error:
                # A half-finished exchange must not leave a reply behind for the next event.
                connection.disconnect()
                self._local.proven = False
                if attempt < tries and isinstance(error, redis.ConnectionError):
                    continue
                raise
            self._local.proven = True
            return

    def ensure_group(self) -> None:
        try:
            self.client.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def take(
        self, consumer: str, block_ms: int = 1000, count: int = BATCH, claim: bool = True
    ) -> list[Entry]:
        """Entries for this consumer: first (with ``claim``) any a dead one left behind,
        then new ones."""
        raw: list[Any] = []
        if claim:
            claimed = self.client.xautoclaim(
                self.stream,
                GROUP,
                consumer,
                min_idle_time=CLAIM_IDLE_MS,
                start_id="0-0",
                count=count,
            )
            raw = list(claimed[1]) if claimed else []
        if not raw:
            found: Any = self.client.xreadgroup(
                GROUP, consumer, {self.stream: ">"}, count=count, block=block_ms
            )
            raw = [item for _stream, items in found or [] for item in items]
        entries = []
        for entry_id, fields in raw:
            if not fields:  # deleted meanwhile
                continue
            body = json.loads(fields[b"event"])
            received_at = float(body.pop("received_at"))
            entries.append(Entry(entry_id, WebhookEvent(**body), received_at))
        return entries

    def done(self, entry_ids: list[bytes]) -> None:
        if not entry_ids:
            return
        pipe = self.client.pipeline(transaction=True)
        pipe.xack(self.stream, GROUP, *entry_ids)
        pipe.xdel(self.stream, *entry_ids)
        pipe.execute()

    def backlog(self) -> int:
        return int(self.client.xlen(self.stream))


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Ingestor:
    """Drains the inbox in a background thread of a worker process."""

    def __init__(self, inbox: Inbox, store: Callable[[list[Entry]], None]) -> None:
        self.inbox = inbox
        self.store = store
        self.consumer = consumer_name()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._claimed_at: float | None = None

    def run_once(self, block_ms: int = 1000) -> int:
        now = time.monotonic()
        claim = self._claimed_at is None or now - self._claimed_at >= CLAIM_EVERY_S
        if claim:
            self._claimed_at = now
        entries = self.inbox.take(self.consumer, block_ms=block_ms, claim=claim)
        if entries:
            self.store(entries)  # commits, then enqueues
            self.inbox.done([entry.entry_id for entry in entries])
        return len(entries)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.inbox.ensure_group()
                while not self._stop.is_set():
                    if 0 < self.run_once() < BATCH:
                        self._stop.wait(LINGER_S)
            except Exception:
                # Redis restarting or the database busy: nothing read was acknowledged,
                # so nothing is lost. Say so, wait a moment, and carry on.
                log.exception("inbox ingest failed; retrying in 1 s")
                self._stop.wait(1.0)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="inbox-ingest", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            with contextlib.suppress(RuntimeError):
                self._thread.join(timeout)
