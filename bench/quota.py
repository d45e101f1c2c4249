"""``quota_day_efficiency``: how much of Strava's default daily quota becomes notes.

A stack of its own, with the sandbox at Strava's default limits (100 reads a
15-minute window, 1,000 a day) and one simulated day on a fast clock: the
sandbox and postrun are both told that a window lasts 900 / SPEED seconds and a
day 86,400 / SPEED (``--rate-window-s``/``--rate-day-s`` and
``POSTRUN_RATE_WINDOW_S``/``POSTRUN_RATE_DAY_S``), so their windows open and
close together, as Strava's and postrun's do on the real clock. Everything else,
retries and deferrals included, runs as in production: a budget spent until the
next window defers its tasks for the (short) rest of that window.

The day, drawn from a fixed seed: athletes who connected on earlier days finish
runs and rides at the hours runners train (peaks in the European and American
mornings and evenings, the rest spread over the day); some creates are delivered
twice, as Strava does; a few new athletes connect through the web page, which
queues the import of their eight weeks. More work arrives than the daily limit
allows, so the limit decides how many runs get their note.

The figure is the runs annotated by the end of the day over the most the limits
allow for the same day: every item taken in the order it arrived, each at its
least cost (a run a read and a write, a ride a read, since a webhook does not
say which it is, a duplicate nothing, a new athlete their profile and one page
of history), window by window, never more than a window's or the day's limit.

``python -m bench.quota`` measures this figure alone.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from bench.common import connect_in_browser
from bench.common import deliver_create
from bench.common import say
from bench.common import subscription
from service.accounts.connect import connect_athlete
from service.local.stack import Stack
from service.storage.models import Activity
from service.strava.budget import DEFAULT_LIMITS

WINDOW_S = 900  # Strava's short window and day, in simulated seconds
DAY_S = 86400
SPEED = 300  # simulated seconds per real second: a 3 s window, a 288 s day
EXISTING = 300  # athletes connected on earlier days
NEW = 8  # athletes who connect during the day
EVENTS = 700  # activity events in the day
SEED = 20261202
COST = {"run": 2, "ride": 1, "duplicate": 0, "connect": 2}
STRAVA_DEFAULT_LIMITS = {
    "overall_15min": DEFAULT_LIMITS["overall"][0],
    "overall_daily": DEFAULT_LIMITS["overall"][1],
    "read_15min": DEFAULT_LIMITS["read"][0],
    "read_daily": DEFAULT_LIMITS["read"][1],
}
UNLIMITED = dict.fromkeys(STRAVA_DEFAULT_LIMITS, 10**8)


@dataclass(frozen=True)
class Item:
    """One thing that happens in the day, ``at`` simulated seconds after midnight."""

    at: float
    kind: str  # run, ride, duplicate (a run's create again) or connect
    athlete: int  # index into the day's athletes: existing ones first, then new ones
    repeats: int = -1  # for a duplicate: the index of the run it repeats


def training_hour(rng: random.Random) -> float:
    """A start time (in simulated seconds) at the hours runners train, all over the world."""
    peaks = ((7.0, 1.2, 0.30), (12.5, 1.5, 0.30), (18.0, 1.5, 0.25))
    pick = rng.random()
    for centre, spread, share in peaks:
        if pick < share:
            return min(max(rng.gauss(centre, spread), 0.0), 23.99) * 3600
        pick -= share
    return rng.uniform(0, 24) * 3600


def plan_day(seed: int = SEED) -> list[Item]:
    """The day's items in the order they happen."""
    rng = random.Random(seed)
    joins = sorted(rng.uniform(2, 12) * 3600 for _ in range(NEW))
    items = [Item(at, "connect", EXISTING + n) for n, at in enumerate(joins)]
    runs: list[int] = []
    for at in sorted(training_hour(rng) for _ in range(EVENTS)):
        joined = sum(1 for join in joins if join < at - 600)
        athlete = rng.randrange(EXISTING + joined)
        roll = rng.random()
        if roll < 0.10 and runs:
            items.append(Item(at, "duplicate", -1, repeats=rng.choice(runs[-20:])))
        else:
            kind = "run" if roll < 0.75 else "ride"
            items.append(Item(at, kind, athlete))
            if kind == "run":
                runs.append(len(items) - 1)
    order = sorted(range(len(items)), key=lambda i: items[i].at)
    where = {old: new for new, old in enumerate(order)}
    return [
        Item(it.at, it.kind, it.athlete, where.get(it.repeats, -1))
        for it in (items[i] for i in order)
    ]


def ideal_runs(items: list[Item], short_limit: int, daily_limit: int) -> int:
    """The most runs the limits allow: calls in arrival order, window by window."""
    calls = [
        (item.at, item, n == COST[item.kind] - 1) for item in items for n in range(COST[item.kind])
    ]
    done = used = next_call = 0
    for window in range(DAY_S // WINDOW_S):
        ends = (window + 1) * WINDOW_S
        room = min(short_limit, daily_limit - used)
        while room and next_call < len(calls) and calls[next_call][0] < ends:
            _at, item, last = calls[next_call]
            done += last and item.kind == "run"
            room -= 1
            used += 1
            next_call += 1
    return done


def activity(kind: str, rng: random.Random, days_ago: float = 0.0) -> dict[str, object]:
    sport = "Run" if kind == "run" else "Ride"
    distance = rng.uniform(5000, 16000) * (1 if kind == "run" else 3)
    moving = int(distance / (3.0 if kind == "run" else 7.5))
    start = time.gmtime(time.time() - days_ago * 86400 - moving - 600)
    return {
        "name": f"Quota {sport.lower()}",
        "sport_type": sport,
        "type": sport,
        "distance": round(distance, 1),
        "moving_time": moving,
        "elapsed_time": moving + 60,
        "start_date": time.strftime("%Y-%m-%dT%H:%M:%SZ", start),
    }


def api_calls(stack: Stack) -> tuple[int, int]:
    """(calls to Strava's API so far, 429s), as the sandbox counted them."""
    stats = stack.sandbox("GET", "/sandbox/stats")
    api = sum(n for route, n in stats["calls"].items() if " /api/v3/" in route)
    return api, int(stats["rate_limited"])


def prepare(stack: Stack, rng: random.Random) -> list[int]:
    """Yesterday: the existing athletes connected and imported, the new ones on Strava.

    Done with the sandbox's limits lifted, so the measured day starts with none spent.
    Returns the Strava ids of the existing athletes, then of the new ones.
    """
    assert stack.deps is not None
    stack.sandbox("POST", "/sandbox/faults", json={"limits": UNLIMITED})
    ids = []
    for n in range(EXISTING):
        created = stack.sandbox("POST", "/sandbox/athletes", json={"firstname": f"Day{n}"})
        # In-process, with no import queued: their history came in on an earlier day.
        ids.append(connect_athlete(stack.deps, created["code"]))
    for n in range(NEW):
        created = stack.sandbox("POST", "/sandbox/athletes", json={"firstname": f"New{n}"})
        for h in range(rng.randrange(20, 120)):
            kind = "run" if rng.random() < 0.75 else "ride"
            stack.upload(created["athlete_id"], activity(kind, rng, days_ago=1 + h * 0.45))
        ids.append(created["athlete_id"])
    stack.wait_idle(timeout=300)
    stack.sandbox("POST", "/sandbox/faults", json={"limits": STRAVA_DEFAULT_LIMITS})
    return ids


def live_day(stack: Stack, items: list[Item], ids: list[int], day_start: float) -> list[int]:
    """Play the day on the fast clock. Returns the ids of the runs uploaded."""
    rng = random.Random(SEED + 1)
    uploaded: dict[int, tuple[int, int]] = {}  # item index: (owner, activity id)
    for index, item in enumerate(items):
        time.sleep(max(0.0, day_start + item.at / SPEED - time.time()))
        if item.kind == "connect":
            connect_in_browser(stack, ids[item.athlete]).close()
        elif item.kind == "duplicate":
            owner, activity_id = uploaded[item.repeats]
            deliver_create(stack, owner, activity_id, subscription(stack))
        else:
            created = stack.upload(ids[item.athlete], activity(item.kind, rng))
            uploaded[index] = (ids[item.athlete], created["id"])
    return [uploaded[i][1] for i, item in enumerate(items) if item.kind == "run"]


def quota_day(workdir: Path, speed: int = SPEED) -> None:
    window_s, day_s = WINDOW_S // speed, DAY_S // speed
    lengths = ("--rate-window-s", str(window_s), "--rate-day-s", str(day_s))
    fast = {"rate_window_s": window_s, "rate_day_s": day_s}
    with (
        (workdir / "quota.log").open("ab") as log,
        Stack(workdir / "quota", log=log, sandbox_args=lengths, settings_overrides=fast) as stack,
    ):
        assert stack.deps is not None
        items = plan_day()
        ids = prepare(stack, random.Random(SEED))
        day_start = (time.time() // day_s + 1) * day_s
        time.sleep(day_start - time.time())
        before, limited_before = api_calls(stack)
        run_ids = live_day(stack, items, ids, day_start)
        time.sleep(max(0.0, day_start + day_s - time.time()))
        with stack.deps.session_factory() as session:
            annotated = (
                session.scalar(
                    sa.select(sa.func.count())
                    .select_from(Activity)
                    .where(Activity.id.in_(run_ids), Activity.status == "annotated")
                )
                or 0
            )
        after, limited_after = api_calls(stack)
    short_limit, daily_limit = DEFAULT_LIMITS["read"]
    best = ideal_runs(items, short_limit, daily_limit)
    demand = sum(COST[item.kind] for item in items)
    say("quota_day_speed", speed)
    say("quota_day_demand_calls", demand)
    say("quota_day_runs", len(run_ids))
    say("quota_day_runs_annotated", annotated)
    say("quota_day_runs_possible", best)
    say("quota_day_efficiency", f"{annotated / best:.2f}")
    say("quota_day_calls", after - before)
    say("quota_day_429", limited_after - limited_before)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quota", description=__doc__)
    parser.add_argument("--speed", type=int, default=SPEED, help="a divisor of 900")
    args = parser.parse_args(argv)
    if WINDOW_S % args.speed:
        parser.error("--speed must divide 900, so that windows last whole seconds")
    with tempfile.TemporaryDirectory(prefix="pr-quota-") as workdir:
        quota_day(Path(workdir), args.speed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
