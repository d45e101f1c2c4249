"""Prometheus metrics, read from the database and Redis when scraped.

Counting inside each process would need prometheus-client's multiprocess mode
across gunicorn and Celery workers; reading the shared state at scrape time gives
the same figures with nothing to keep in step. Counts that no table holds
(Strava calls, deferrals) are kept as Redis hashes by ``Counters``.
"""

from __future__ import annotations

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
from service.storage.models import Athlete
from service.storage.models import Event
from service.strava.budget import RateBudget

QUEUES = ("postrun", "postrun-low")


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
            for object_type, aspect, status, count in session.execute(
                sa.select(
                    Event.object_type, Event.aspect_type, Event.status, sa.func.count()
                ).group_by(Event.object_type, Event.aspect_type, Event.status)
            ):
                events.add_metric([object_type, aspect, status], count)
            for status, count in session.execute(
                sa.select(Activity.status, sa.func.count()).group_by(Activity.status)
            ):
                activities.add_metric([status], count)
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
        for name, value in sorted(counts.items()):
            family, _, label = name.partition(":")
            if family == "strava":
                calls.add_metric([label], value)
            elif family == "task":
                tasks.add_metric([label], value)
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
            used.add_metric([window], count)
            left.add_metric([window], max(0, limit - count))
        yield used
        yield left


def render(session_factory, client: redis.Redis, budget: RateBudget | None) -> bytes:  # type: ignore[no-untyped-def]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PostrunCollector(session_factory, client, budget))
    return generate_latest(registry)
