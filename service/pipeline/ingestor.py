"""The worker's side of the inbox: drain it into the database, one bad entry blocking nothing.

Each worker process runs an ``Ingestor`` in a background thread (started from
``workers.ingest``). A batch is stored in one commit, enqueued after it, then
acknowledged. When a batch fails, its entries are stored one by one; an entry
that still fails stays pending and is claimed again, and once it has been
delivered ``MAX_DELIVERIES`` times it is parked: written to the database as a
failed event (its text made storable) for ``postrun events --failed``, and taken
out of the stream. An entry that cannot even be decoded is parked at once
(docs/sources.md#the-webhooks-door).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from service.pipeline.inbox import BATCH
from service.pipeline.inbox import Entry
from service.pipeline.inbox import Inbox
from service.pipeline.inbox import Unreadable

log = logging.getLogger(__name__)

# How often a consumer looks for entries a dead consumer left; a fresh one looks at once.
CLAIM_EVERY_S = 5.0
# After a batch that did not fill, wait this long before reading again, so that under
# load the next read takes many entries in one round trip, one commit and a few task
# messages rather than one of each per event. A quiet inbox is read at once.
LINGER_S = 0.02
# An entry that fails on its own this many deliveries is parked, not tried for ever.
MAX_DELIVERIES = 3


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Ingestor:
    """Drains the inbox in a background thread of a worker process.

    ``store`` commits a batch of entries (then enqueues them); ``park`` records one
    entry that can never be stored normally as a failed event.
    """

    def __init__(
        self,
        inbox: Inbox,
        store: Callable[[list[Entry]], None],
        park: Callable[[Entry | Unreadable, str], None],
    ) -> None:
        self.inbox = inbox
        self.store = store
        self.park = park
        self.consumer = consumer_name()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._claimed_at: float | None = None

    def run_once(self, block_ms: int = 1000) -> int:
        now = time.monotonic()
        claim = self._claimed_at is None or now - self._claimed_at >= CLAIM_EVERY_S
        if claim:
            self._claimed_at = now
        items = self.inbox.take(self.consumer, block_ms=block_ms, claim=claim)
        finished = []
        entries = []
        for item in items:
            if isinstance(item, Unreadable):
                log.error("inbox entry %r is unreadable (%s); parked", item.entry_id, item.problem)
                self.park(item, f"unreadable inbox entry: {item.problem}")
                finished.append(item.entry_id)
            else:
                entries.append(item)
        if entries:
            try:
                self.store(entries)  # commits, then enqueues
            except Exception:
                log.exception("storing a batch of %d failed; storing one by one", len(entries))
                finished += self._one_by_one(entries)
            else:
                finished += [entry.entry_id for entry in entries]
        self.inbox.done(finished)
        return len(items)

    def _one_by_one(self, entries: list[Entry]) -> list[bytes]:
        """Store each entry alone; park those that keep failing. Returns the finished ids.

        An entry that fails stays pending, to be claimed again after ``CLAIM_IDLE_MS``:
        the cause may pass (the database restarting). Parking writes to the database
        too, so while the database is away nothing is parked.
        """
        finished = []
        failures: dict[bytes, tuple[Entry, Exception]] = {}
        for entry in entries:
            try:
                self.store([entry])
            except Exception as error:
                failures[entry.entry_id] = (entry, error)
            else:
                finished.append(entry.entry_id)
        delivered = self.inbox.deliveries(self.consumer, list(failures))
        for entry_id, (entry, failure) in failures.items():
            times = delivered.get(entry_id, 1)
            if times < MAX_DELIVERIES:
                log.warning("inbox entry %r failed (delivery %d): %r", entry_id, times, failure)
                continue
            log.error("inbox entry %r failed %d times; parked: %r", entry_id, times, failure)
            self.park(entry, f"failed {times} times: {type(failure).__name__}: {failure}")
            finished.append(entry_id)
        return finished

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
