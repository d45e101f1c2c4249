"""Keeping uploads and slow clients from holding the threads the webhook answers on.

``postrun serve`` runs gunicorn's threaded workers (``gthread``): a request that
waits on its client holds one thread, not a whole process
(docs/sources.md#why-gunicorn-runs-threaded-workers). Two bounds go with it:

- **Reads time out.** A client that announces a body and then sends nothing
  waits at most ``READ_TIMEOUT_S`` for each read of its socket, then gets a 400
  (gunicorn itself waits as long as the client likes). A reverse proxy that
  buffers request bodies (nginx does by default) keeps such clients away from
  postrun altogether.
- **Few uploads are read at once.** Reading a 25 MB GPX file costs seconds of
  CPU and up to about 300 MB of memory (``service.files.Limits``). Each web
  process reads at most ``POSTRUN_UPLOADS_PER_PROCESS`` uploads at a time; one
  more gets a 503 page that asks to try again in a minute, before its body is
  read.
- **Files are parsed in a child process.** The XML parser holds Python's global
  lock for a whole file (over a second for 25 MB), which stalled every thread
  of its process, the webhook's included, in our measurement. So the parse runs
  in a child process at a lower CPU priority (``ChildReader``), started from a
  clean fork server (never forked from this threaded process), one file per
  child so its memory goes back when it ends.

Issue #13, item 6: four 25 MB uploads and four stalled bodies kept the webhook
from answering for 30 s.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from flask import Flask
from flask import current_app
from flask import request

from service.files import FileError
from service.files import FileResult
from service.files import Limits
from service.files import read_activity

log = logging.getLogger(__name__)

# Seconds a client may leave the server waiting for the next bytes of its request.
READ_TIMEOUT_S = 10.0
SLOTS = "postrun.upload_slots"
READER = "postrun.upload_reader"
# The parse gives way to the webhook (and to the Celery worker, niced by 10 itself).
CHILD_NICE = 10
BUSY = "postrun is busy reading other uploads. Nothing was imported: try again in a minute."


def init_app(app: Flask, uploads_per_process: int, max_body_bytes: int) -> None:
    # No request may be larger than the largest upload. It also makes Werkzeug read
    # every body through its LimitedStream, which turns a read that timed out into
    # a 400 (ClientDisconnected) rather than a 500.
    app.config["MAX_CONTENT_LENGTH"] = max_body_bytes
    app.extensions[SLOTS] = threading.BoundedSemaphore(uploads_per_process)
    app.extensions[READER] = ChildReader(uploads_per_process)
    app.before_request(bound_reads)


def _lower_priority() -> None:
    os.nice(CHILD_NICE)


class ChildReader:
    """``read_activity`` in a child process; the pool starts on the first upload."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None
        self.lock = threading.Lock()

    def _pool(self) -> ProcessPoolExecutor:
        with self.lock:
            if self.pool is None:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(["service.files"])
                self.pool = ProcessPoolExecutor(
                    self.workers,
                    mp_context=context,
                    initializer=_lower_priority,
                    max_tasks_per_child=1,
                )
            return self.pool

    def __call__(self, name: str, data: bytes, limits: Limits, units: str = "metric") -> FileResult:
        pool = self._pool()
        try:
            return pool.submit(read_activity, name, data, limits, units).result()
        except BrokenProcessPool:  # the child died (out of memory?): start afresh next time
            with self.lock:
                if self.pool is pool:
                    self.pool = None
            pool.shutdown(wait=False)
            raise FileError("could not be read: reading it took too much memory") from None

    def close(self) -> None:
        with self.lock:
            pool, self.pool = self.pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def child_reader() -> ChildReader:
    reader: ChildReader = current_app.extensions[READER]
    return reader


def bound_reads() -> None:
    """Give this request's socket a read timeout (gunicorn passes it as ``gunicorn.socket``)."""
    sock = request.environ.get("gunicorn.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):  # already closed by the client: nothing to bound
            sock.settimeout(READ_TIMEOUT_S)


class Busy(Exception):
    """Every upload slot of this process is taken."""


@contextlib.contextmanager
def upload_slot() -> Iterator[None]:
    """Hold one of this process's upload slots, or raise ``Busy`` at once."""
    slots: threading.BoundedSemaphore = current_app.extensions[SLOTS]
    if not slots.acquire(blocking=False):
        log.info("upload refused: every upload slot of this process is taken")
        raise Busy
    try:
        yield
    finally:
        slots.release()
