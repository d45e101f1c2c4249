"""Every worker drains the webhook inbox into the database, then enqueues the events.

Started on Celery's ``worker_ready`` signal, stopped on ``worker_shutdown``; only
the worker process (``workers.make_celery``) connects them.
"""

from __future__ import annotations

import functools
from typing import Any

from celery.signals import worker_ready
from celery.signals import worker_shutdown
from flask import Flask

from service.pipeline.inbox import Entry
from service.pipeline.ingestor import Ingestor
from service.pipeline.intake import park_entry
from service.pipeline.intake import store_events
from workers.tasks import enqueue_batch


def connect_ingest(app: Flask) -> None:
    """Run an ``Ingestor`` for ``app``'s inbox while this worker runs."""
    ingestors: list[Ingestor] = []

    @worker_ready.connect(weak=False)
    def _start_ingest(**_kwargs: Any) -> None:
        # A consumer group shares the inbox between every worker.
        deps = app.extensions["postrun"]
        if deps.inbox is None:
            return

        def store(entries: list[Entry]) -> None:
            batch = [(entry.event, entry.received_at) for entry in entries]
            ids = store_events(deps, batch)
            # After store_events committed; a few task messages for the whole batch.
            enqueue_batch(ids, countdown=deps.settings.processing_delay_s)

        ingestor = Ingestor(deps.inbox, store, functools.partial(park_entry, deps))
        ingestor.start()
        ingestors.append(ingestor)

    @worker_shutdown.connect(weak=False)
    def _stop_ingest(**_kwargs: Any) -> None:
        while ingestors:
            ingestors.pop().stop()
