"""``python -m bench [--quick]``: start the stack with the sandbox and print its figures.

Every figure is measured in this run. Throughput is reported as a ratio to a
bare Flask endpoint on the same gunicorn server, driven by the same load
generator, because absolute numbers on a shared 2-core machine mean little.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from bench.common import deliver_create
from bench.common import say
from bench.common import subscription
from bench.demo import demo_figures
from bench.hostile import hostile_figures
from bench.load import Result
from bench.load import drive
from bench.load import drive_wrk
from service.local.stack import Stack
from service.storage.models import Activity
from service.storage.models import Event


def run_body(minutes_ago: float, **fields: object) -> dict[str, object]:
    start = datetime.now(UTC) - timedelta(minutes=minutes_ago + 60)
    body = {
        "name": "Bench Run",
        "sport_type": "Run",
        "distance": 8000.0,
        "moving_time": 2700,
        "elapsed_time": 2800,
        "start_date": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "description": "my own words",
    }
    return {**body, **fields}


def calls(stack: Stack) -> int:
    return int(stack.sandbox("GET", "/sandbox/stats")["total"])


def ack_throughput(stack: Stack, duration: float, generator: Callable[..., Result] = drive) -> None:
    """Bare endpoint, then webhook, with one generator; each starts with nothing queued."""
    suffix = "_wrk" if generator is drive_wrk else ""
    stack.wait_idle(timeout=300)
    bare = generator(f"{stack.web_url}/ping", duration=duration)
    stack.wait_idle(timeout=300)
    hook = generator(
        f"{stack.web_url}/webhooks/strava",
        method="POST",
        body="event",
        duration=duration,
        subscription_id=subscription(stack),
        seed=2 if suffix else 1,  # new events, not repeats of the first generator's
    )
    say(f"bare_rps{suffix}", f"{bare.rps:.0f}")
    say(f"webhook_rps{suffix}", f"{hook.rps:.0f}")
    say(f"webhook_errors{suffix}", hook.errors)
    say(f"webhook_ack_ratio{suffix}", f"{hook.rps / bare.rps:.2f}")
    say(f"webhook_ack_p99_ms{suffix}", f"{hook.percentile(0.99):.1f}")


def saturated_ack(stack: Stack, athlete: int, duration: float, backlog: int) -> None:
    stack.sandbox("POST", "/sandbox/faults", json={"latency_s": 1.5})
    for n in range(backlog):
        stack.upload(athlete, run_body(minutes_ago=n))
    time.sleep(1.0)  # the backlog reaches the workers
    paced = drive(
        f"{stack.web_url}/webhooks/strava",
        method="POST",
        body="event",
        duration=duration,
        rate=100,
        subscription_id=subscription(stack),
        seed=7,
    )
    say("webhook_ack_p99_ms_saturated", f"{paced.percentile(0.99):.1f}")
    stack.sandbox("POST", "/sandbox/faults", json={"latency_s": 0})
    stack.wait_idle(timeout=300)


def end_to_end(stack: Stack, athlete: int, seconds: float) -> None:
    assert stack.deps is not None
    started = datetime.now(UTC)
    count = int(seconds * 20)
    for n in range(count):
        due = time.monotonic() + 0.05
        stack.upload(athlete, run_body(minutes_ago=-n - 1000))
        time.sleep(max(0.0, due - time.monotonic()))
    stack.wait_idle(timeout=300)
    with stack.deps.session_factory() as session:
        rows = session.execute(
            sa.select(Event.received_at, Activity.annotated_at)
            .join(Activity, Activity.id == Event.object_id)
            .where(Event.received_at >= started, Event.aspect_type == "create")
            .where(Activity.annotated_at.is_not(None))
        ).all()
    delays = sorted(
        (done - received).total_seconds() * 1000 for received, done in rows if done is not None
    )
    say("e2e_events", len(delays))
    say("e2e_p50_ms", f"{statistics.median(delays):.0f}")
    say("e2e_p95_ms", f"{delays[int(0.95 * (len(delays) - 1))]:.0f}")


def call_costs(stack: Stack, athlete: int, count: int) -> None:
    before = calls(stack)
    created = [stack.upload(athlete, run_body(minutes_ago=5000 + n))["id"] for n in range(count)]
    stack.wait_idle()
    say("strava_calls_per_run", f"{(calls(stack) - before) / count:.2f}")

    before = calls(stack)
    for n in range(count):
        stack.upload(athlete, run_body(minutes_ago=9000 + n, sport_type="Ride", type="Ride"))
    stack.wait_idle()
    say("strava_calls_per_nonrun", f"{(calls(stack) - before) / count:.2f}")

    before = calls(stack)
    sub = subscription(stack)
    for activity_id in created:
        deliver_create(stack, athlete, activity_id, sub)
    stack.wait_idle()
    say("strava_calls_per_duplicate", f"{(calls(stack) - before) / count:.2f}")


def backfill_cost(stack: Stack, count: int) -> None:
    """Connect an athlete who already has ``count`` activities and run their backfill."""
    from service.accounts.connect import connect_athlete
    from service.pipeline import backfill

    assert stack.deps is not None
    created = stack.sandbox("POST", "/sandbox/athletes", json={"firstname": "History"})
    for n in range(count):
        # Spread over the backfill's eight weeks; their webhooks meet an unknown athlete.
        stack.upload(created["athlete_id"], run_body(minutes_ago=n * 120))
    stack.wait_idle()
    athlete = connect_athlete(stack.deps, created["code"])
    route = "GET /api/v3/athlete/activities"
    before = stack.sandbox("GET", "/sandbox/stats")["calls"].get(route, 0)
    imported = backfill.backfill_athlete(stack.deps, athlete)
    after = stack.sandbox("GET", "/sandbox/stats")["calls"].get(route, 0)
    pages = -(-count // 200)  # pages of 200 needed to hold them all
    say("backfill_activities", count)
    say("backfill_runs_imported", imported)
    say("backfill_calls", after - before)
    # Per page of 200 started. A count that is an exact multiple of 200 costs one more
    # call: the empty page that proves the list has ended.
    say("backfill_calls_per_200", f"{(after - before) / pages:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="about two minutes, without the quota day"
    )
    args = parser.parse_args(argv)
    duration = 3.0 if args.quick else 10.0
    workdir = Path(tempfile.mkdtemp(prefix="pr-bench-"))
    say("machine", f"{platform.machine()}/{os.cpu_count()}cpu/python{platform.python_version()}")
    try:
        # The sandbox's Strava-sized limits would throttle the load tests themselves.
        limits = (
            "--limit-15min",
            "10000000",
            "--read-limit-15min",
            "10000000",
            "--limit-daily",
            "100000000",
            "--read-limit-daily",
            "100000000",
        )
        with (
            (workdir / "stack.log").open("ab") as log,
            # One bench athlete makes far more calls than a runner: without this, the
            # per-athlete share (30 a window) defers the end-to-end runs for 15 minutes.
            Stack(
                workdir,
                log=log,
                sandbox_args=limits,
                settings_overrides={"athlete_calls_per_window": 10**6},
            ) as stack,
        ):
            athlete = stack.connect_athlete(firstname="Bench")
            ack_throughput(stack, duration)
            if shutil.which("wrk"):
                # The same comparison with a compiled generator that takes far less CPU
                # from the server on the same cores (docs/operations.md#benchmark).
                ack_throughput(stack, duration, generator=drive_wrk)
            saturated_ack(stack, athlete, duration, backlog=12 if args.quick else 40)
            end_to_end(stack, athlete, seconds=duration)
            call_costs(stack, athlete, count=10 if args.quick else 40)
            backfill_cost(stack, count=450)
            hostile_figures(stack, athlete, workdir, quick=args.quick)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    demo_figures(say)
    return 0


if __name__ == "__main__":
    sys.exit(main())
