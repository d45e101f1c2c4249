"""The webhook's inbox: a Redis stream that takes an event in one round trip.

Storing an event in the database and publishing a Celery message on every
webhook request held the acknowledgement path to about a tenth of a bare Flask
endpoint's rate (docs/sources.md#why-the-webhook-inbox-is-a-redis-stream).
One ``XADD`` keeps most of it. Redis runs with an append-only file synced every
second, and it writes the entry to the
kernel before it replies, so an acknowledged event survives ``kill -9`` of any
process (an OS crash can lose up to a second).

Workers drain the stream as a consumer group: a batch is stored in the
database in one commit, enqueued only after that commit, and acknowledged (then
deleted) only after that. Entries a dead worker had read but not acknowledged
are claimed by another after ``CLAIM_IDLE_MS``.

Workers drain it with ``service.pipeline.ingestor.Ingestor``.

The inbox also keeps the webhook's tally of refused requests per sender: a
sender refused ``FAILURES_PER_WINDOW`` times within ``FAILURE_WINDOW_S`` is
turned away for ``BLOCK_S``, so the subscription id cannot be found by guessing.
The check costs the webhook nothing extra: it runs in the same script as the
``XADD``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import threading
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from service.pipeline.events import WebhookEvent

STREAM = "postrun:inbox"
GROUP = "ingest"
# An entry read but not acknowledged for this long belonged to a worker that died.
CLAIM_IDLE_MS = 30_000
BATCH = 200
EVENT_FIELDS = tuple(field.name for field in dataclasses.fields(WebhookEvent))

# Refused webhook requests: this many from one sender within the window
# turns the sender away (429) for BLOCK_S, valid events included.
FAILURES_PER_WINDOW = 30
FAILURE_WINDOW_S = 60
BLOCK_S = 600
FAILURE_KEY = "postrun:door:fail:"
BLOCK_KEY = "postrun:door:block:"

# KEYS: the stream, the sender's block key. ARGV: the entry. 1 if added, 0 if blocked.
_PUT = """
if redis.call('EXISTS', KEYS[2]) == 1 then
  return 0
end
redis.call('XADD', KEYS[1], '*', 'event', ARGV[1])
return 1
"""
# KEYS: the sender's failure count, its block key. ARGV: limit, window, block seconds.
# 1 if the sender is (now) blocked.
_REFUSED = """
if redis.call('EXISTS', KEYS[2]) == 1 then
  return 1
end
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
end
if count >= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'EX', tonumber(ARGV[3]))
  return 1
end
return 0
"""


_PUT_SHA = hashlib.sha1(_PUT.encode()).hexdigest()  # noqa: S324 (Redis names scripts by SHA-1)


class SenderBlocked(Exception):
    """The sender was refused too often lately; nothing it sends is taken for a while."""


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


@dataclasses.dataclass(frozen=True, slots=True)
class Unreadable:
    """A stream entry that does not decode into an event (it can never be stored)."""

    entry_id: bytes
    raw: bytes
    problem: str


def _decode(entry_id: bytes, fields: dict[bytes, bytes]) -> Entry | Unreadable:
    raw = fields.get(b"event", b"")
    try:
        body = json.loads(raw)
        received_at = float(body.pop("received_at"))
        return Entry(entry_id, WebhookEvent(**body), received_at)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as error:
        return Unreadable(entry_id, raw, f"{type(error).__name__}: {error}")


class Inbox:
    def __init__(self, client: redis.Redis, stream: str = STREAM) -> None:
        self.client = client
        self.stream = stream
        self._local = threading.local()
        # EVALSHA, and the script itself only when Redis does not know it yet.
        self._refused = client.register_script(_REFUSED)

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

    def put(self, event: WebhookEvent, received_at: float, sender: str = "") -> None:
        """Append one event; ``SenderBlocked`` if ``sender`` is being turned away."""
        # Field by field: dataclasses.asdict deep-copies, and this runs on every webhook.
        body = {name: getattr(event, name) for name in EVENT_FIELDS}
        body["received_at"] = received_at
        payload = json.dumps(body)
        keys = (self.stream, BLOCK_KEY + sender)
        connection = self._connection()
        # A connection that worked before may have been closed by a Redis restart: it
        # gets one fresh try. (Should the first XADD have landed after all, the copy is
        # a duplicate, and duplicates collapse when the worker stores them.)
        tries = 2 if getattr(self._local, "proven", False) else 1
        for attempt in range(1, tries + 1):
            try:
                added = self._run_script(connection, _PUT, _PUT_SHA, keys, (payload,))
            except BaseException as error:
                # A half-finished exchange must not leave a reply behind for the next event.
                connection.disconnect()
                self._local.proven = False
                if attempt < tries and isinstance(error, redis.ConnectionError):
                    continue
                raise
            self._local.proven = True
            if not added:
                raise SenderBlocked(sender)
            return

    @staticmethod
    def _run_script(
        connection: redis.connection.AbstractConnection,
        script: str,
        sha: str,
        keys: tuple[str, ...],
        args: tuple[str, ...],
    ) -> object:
        """EVALSHA on this connection; the first call on a fresh Redis sends the script."""
        connection.send_command("EVALSHA", sha, len(keys), *keys, *args)
        try:
            return connection.read_response()
        except redis.exceptions.NoScriptError:
            connection.send_command("EVAL", script, len(keys), *keys, *args)
            return connection.read_response()

    def refused(self, sender: str) -> bool:
        """Count one refused request from ``sender``; True if it is now turned away."""
        keys = [FAILURE_KEY + sender, BLOCK_KEY + sender]
        blocked = self._refused(keys=keys, args=[FAILURES_PER_WINDOW, FAILURE_WINDOW_S, BLOCK_S])
        return bool(blocked)

    def ensure_group(self) -> None:
        try:
            self.client.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def take(
        self, consumer: str, block_ms: int = 1000, count: int = BATCH, claim: bool = True
    ) -> list[Entry | Unreadable]:
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
        # An entry deleted meanwhile comes back with no fields.
        return [_decode(entry_id, fields) for entry_id, fields in raw if fields]

    def deliveries(self, consumer: str, entry_ids: list[bytes]) -> dict[bytes, int]:
        """How often each of ``entry_ids`` (pending for ``consumer``) has been delivered."""
        if not entry_ids:
            return {}
        pending = self.client.xpending_range(
            self.stream,
            GROUP,
            min=min(entry_ids),
            max=max(entry_ids),
            count=len(entry_ids) + BATCH,
            consumername=consumer,
        )
        wanted = set(entry_ids)
        return {
            item["message_id"]: int(item["times_delivered"])
            for item in pending
            if item["message_id"] in wanted
        }

    def done(self, entry_ids: list[bytes]) -> None:
        if not entry_ids:
            return
        pipe = self.client.pipeline(transaction=True)
        pipe.xack(self.stream, GROUP, *entry_ids)
        pipe.xdel(self.stream, *entry_ids)
        pipe.execute()

    def backlog(self) -> int:
        return int(self.client.xlen(self.stream))
