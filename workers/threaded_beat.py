"""Beat in a thread of the worker, for the demo only: ``postrun worker --beat-thread FILE``.

Celery's own ``--beat`` forks a second process from the loaded worker, which on
the demo's machine weighs more than ``postrun beat`` alone. The demo is sized
for one person (docs/operations.md#the-demo), so its worker runs the schedule
on a thread instead; production keeps ``postrun beat`` in its own process.
"""

from __future__ import annotations

from typing import Any

import click
from celery import Celery
from celery import bootsteps
from celery.beat import EmbeddedService

OPTION = "--beat-thread"


class ThreadedBeat(bootsteps.StartStopStep):  # type: ignore[misc]
    """Runs beat's scheduler on a thread when the worker is given ``--beat-thread``."""

    label = "ThreadedBeat"
    conditional = True

    def __init__(self, worker: Any, beat_thread: str | None = None, **kwargs: Any) -> None:
        self.enabled = bool(beat_thread)
        self.schedule = beat_thread
        super().__init__(worker, **kwargs)

    def create(self, worker: Any) -> Any:
        return EmbeddedService(worker.app, schedule_filename=self.schedule, thread=True)


def add_threaded_beat(celery_app: Celery) -> None:
    """Teach the worker's command line ``--beat-thread FILE`` (the schedule's file)."""
    celery_app.user_options["worker"].add(
        click.Option(
            [OPTION],
            default=None,
            help="run beat's schedule on a thread of this worker, kept in this file (the demo)",
        )
    )
    celery_app.steps["worker"].add(ThreadedBeat)
