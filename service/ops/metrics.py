"""Prometheus metrics, read from the database and Redis when scraped.

Counting inside each process would need prometheus-client's multiprocess mode
across gunicorn and Celery workers; reading the shared state at scrape time gives
the same figures with nothing to keep in step. Counts that no table holds
(Strava calls, deferrals) are kept as Redis hashes by ``Counters``.

Every label comes from a fixed set below, and anything else is counted as
"other": a stored value (an event's type, from an older release or a bug) must
not become a series of its own, or the scrape grows with whatever was sent
(issue #13, item 8; the door: docs/sources.md#the-webhooks-door).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from collections.abc import Iterator

import redis
import sqlalchemy as sa
from prometheus_client.core import CounterMetricFamily
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from prometheus_client.registry import CollectorRegistry

from service.storage.counters import Counters
from service.storage.models import Activity
from service.storage.models import ActivityStatus
from service.storage.models import Athlete
from service.storage.models import Event
from service.storage.models import EventStatus
from service.strava.budget import DEFAULT_LIMITS
from service.strava.budget import RateBudget

QUEUES = ("postrun", "postrun-low")
OTHER = "other"
# The only values each label may take; anything else is reported as OTHER.
LABELS: dict[str, frozenset[str]] = {
    "object_type": frozenset({"activity", "athlete"}),
    "aspect_type": frozenset({"create", "update", "delete"}),
    "event_status": frozenset(EventStatus),
    "activity_status": frozenset(ActivityStatus),
    # StravaGateway._count(): ok, the two deferrals, and its errors' class names.
    "strava_outcome": frozenset(
        {"ok", "rate_limited", "budget_deferred", "athlete_deferred"}
        | {"notfound", "accessrevoked", "unavailable", "stravaerror"}
    ),
    "task_outcome": frozenset({"failed", "deferred"}),
    "window": frozenset(
        f"{kind} {span}" for kind in DEFAULT_LIMITS for span in ("15-minute", "daily")
    ),
}


def label(kind: str, value: object) -> str:
    """``value`` if it is one of the ``kind`` label's known values, else "other"."""
    text = str(value)
    return text if text in LABELS[kind] else OTHER


def tally(rows: Iterable[tuple[tuple[str, ...], int]]) -> dict[tuple[str, ...], int]:
    """Add up counts whose labels collapsed onto the same series."""
    totals: Counter[tuple[str, ...]] = Counter()
    for labels, count in rows:
        totals[labels] += count
    return dict(totals)


class PostrunCollector(Collector):
    def __init__(self, session_factory, client: redis.Redis, budget: RateBudget | None) -> None:  # type: ignore[no-untyped-def]
        self.session_factory = session_factory
        self.client = client
        self.budget = budget

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        yield from self._database()
        yield from self._redis()

    def _database(self) -> Iterator[GaugeMetricFamily]:
        events = GaugeMetricFamily(
            "postrun_events",
            "Webhook events stored, by object, aspect and status",
            labels=["object_type", "aspect_type", "status"],
        )
        activities = GaugeMetricFamily(
            "postrun_activities", "Activities postrun has looked at, by outcome", labels=["status"]
        )
        athletes = GaugeMetricFamily(
            "postrun_athletes", "Connected athletes", labels=["needs_reauth"]
        )
        with self.session_factory() as session:
            event_rows = session.execute(
                sa.select(
                    Event.object_type, Event.aspect_type, Event.status, sa.func.count()
                ).group_by(Event.object_type, Event.aspect_type, Event.status)
            )
            for labels, count in tally(
                (
                    (
                        label("object_type", object_type),
                        label("aspect_type", aspect),
                        label("event_status", status),
                    ),
                    count,
                )
                for object_type, aspect, status, count in event_rows
            ).items():
                events.add_metric(list(labels), count)
            activity_rows = session.execute(
                sa.select(Activity.status, sa.func.count()).group_by(Activity.status)
            )
            for labels, count in tally(
                ((label("activity_status", status),), count) for status, count in activity_rows
            ).items():
                activities.add_metric(list(labels), count)
            for needs_reauth, count in session.execute(
                sa.select(Athlete.needs_reauth, sa.func.count()).group_by(Athlete.needs_reauth)
            ):
                athletes.add_metric([str(bool(needs_reauth)).lower()], count)
        yield events
        yield activities
        yield athletes

    def _redis(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        try:
            depths = {queue: int(self.client.llen(queue)) for queue in QUEUES}
            counts = Counters(self.client).read()
            usage = self.budget.usage() if self.budget else {}
        except redis.RedisError:
            return
        queue = GaugeMetricFamily("postrun_queue_depth", "Tasks waiting", labels=["queue"])
        for name, depth in depths.items():
            queue.add_metric([name], depth)
        yield queue
        calls = CounterMetricFamily(
            "postrun_strava_calls", "Strava API calls, by outcome", labels=["outcome"]
        )
        tasks = CounterMetricFamily("postrun_tasks", "Task outcomes", labels=["outcome"])
        families = {"strava": ("strava_outcome", calls), "task": ("task_outcome", tasks)}
        rows: list[tuple[tuple[str, ...], int]] = []
        for name, value in counts.items():
            family, _, outcome = name.partition(":")
            if family in families:
                rows.append(((family, label(families[family][0], outcome)), value))
        for (family, outcome), value in sorted(tally(rows).items()):
            families[family][1].add_metric([outcome], value)
        yield calls
        yield tasks
        used = GaugeMetricFamily(
            "postrun_strava_budget_used", "Strava requests used in the window", labels=["window"]
        )
        left = GaugeMetricFamily(
            "postrun_strava_budget_remaining",
            "Strava requests left in the window",
            labels=["window"],
        )
        for window, (count, limit) in usage.items():
            window = label("window", window)
            used.add_metric([window], count)
            left.add_metric([window], max(0, limit - count))
        yield used
        yield left


def render(session_factory, client: redis.Redis, budget: RateBudget | None) -> bytes:  # type: ignore[no-untyped-def]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PostrunCollector(session_factory, client, budget))
    return generate_latest(registry)
