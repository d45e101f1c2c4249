"""``Deps``: what every pipeline and account function is handed instead of globals.

Tests build one around a real database and a sandboxed Strava; the Flask app
builds the production one (``service.web.app``). Nothing here knows about Flask
or Celery.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from service.config import Settings
from service.pipeline.inbox import Inbox
from service.pipeline.subscription import SubscriptionCache
from service.strava.gateway import StravaGateway


@contextlib.contextmanager
def local_lock(_name: str) -> Iterator[None]:
    """A lock that locks nothing: enough for one process and the tests."""
    yield


@dataclasses.dataclass
class Deps:
    settings: Settings
    session_factory: sessionmaker[Session]
    strava: StravaGateway
    # A named lock shared by every worker process (Redis in production).
    lock: Callable[[str], AbstractContextManager[Any]] = local_lock
    # Hands an accepted event id to the worker; called only after the commit.
    enqueue: Callable[[int], None] = lambda _event_id: None
    # Hands a newly connected athlete's id to the eight-week backfill; None: no backfill.
    enqueue_backfill: Callable[[int], None] | None = None
    clock: Callable[[], float] = time.time
    # The Redis inbox the webhook writes to; without one, events go straight to the database.
    inbox: Inbox | None = None
    # Each Deps keeps its own cache (init=False: a dataclasses.replace copy starts empty).
    subscriptions: SubscriptionCache = dataclasses.field(
        default_factory=SubscriptionCache, init=False
    )

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def cached_subscription_id(self) -> int | None:
        """The subscription id if it is pinned or was read in the last few seconds."""
        if self.settings.strava_subscription_id is not None:
            return self.settings.strava_subscription_id
        return self.subscriptions.recent(self.clock())

    def subscription_id(self, session: Session, fresh: bool = False) -> int | None:
        """Our push subscription id: pinned in settings, or stored by ``postrun subscribe``.

        Cached for a few seconds so the webhook does not read it on every event.
        """
        if self.settings.strava_subscription_id is not None:
            return self.settings.strava_subscription_id
        return self.subscriptions.read(session, self.clock(), fresh)
