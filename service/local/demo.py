"""``postrun demo``: the whole pipeline on this machine, against the Strava sandbox.

It connects a sandbox athlete through the real OAuth exchange, uploads a few
weeks of real runs (moved to the present) and one ride, lets the webhooks flow
through Redis and a Celery worker, and prints what ended up in each description.
"""

from __future__ import annotations

import json
import shutil
import signal
import sys
import time
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from service.local.embedded import StartError
from service.local.stack import Stack

DEMO_DATA = Path(__file__).parent / "demo_data"
SAMPLE_RUNS = 6
ACTIVITY_FIELDS = (
    "name",
    "sport_type",
    "type",
    "distance",
    "moving_time",
    "elapsed_time",
    "total_elevation_gain",
    "timezone",
    "manual",
    "trainer",
)


def _load(name: str) -> Any:
    return json.loads((DEMO_DATA / name).read_text(encoding="utf-8"))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sample_activities(now: datetime) -> list[dict[str, Any]]:
    """The newest real runs, oldest first, moved so the last one ended an hour ago; then a ride.

    The last run carries a description the athlete wrote, to show it is kept.
    """
    runs = sorted(
        _load("athlete_activities_page1.json")[:SAMPLE_RUNS], key=lambda a: a["start_date"]
    )
    newest = datetime.fromisoformat(runs[-1]["start_date"])
    shift = now - timedelta(hours=1) - timedelta(seconds=runs[-1]["elapsed_time"]) - newest
    activities = []
    for run in runs:
        activity = {k: run[k] for k in ACTIVITY_FIELDS if k in run}
        activity["start_date"] = _iso(datetime.fromisoformat(run["start_date"]) + shift)
        activities.append(activity)
    own_words = _load("activity_run_detailed_strava-iphone-2018.json")["description"]
    activities[-1]["description"] = own_words
    ride = _load("activity_ride_detailed_garmin-edge-1030.json")
    ride_activity = {k: ride[k] for k in ACTIVITY_FIELDS if k in ride}
    ride_activity["start_date"] = _iso(now - timedelta(hours=5))
    ride_activity["description"] = ride.get("description") or ""
    return [*activities[:-1], ride_activity, activities[-1]]


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines()) if text else "    (empty)"


def _stop_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_demo(data_dir: Path, once: bool) -> int:
    workdir = data_dir.resolve() / "demo"
    # The sandbox starts empty each time, so yesterday's database would only confuse it.
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    print(
        f"postrun demo: starting Redis, the Strava sandbox, the web app and a worker in {workdir}"
    )
    log_path = workdir / "demo.log"
    try:
        with log_path.open("ab") as log, Stack(workdir, log=log) as stack:
            print(f"  web app    {stack.web_url}")
            print(f"  sandbox    {stack.sandbox_url}")
            print(f"  logs       {log_path}")
            athlete_id = stack.connect_athlete(firstname="Demo", measurement_preference="meters")
            print(f"connected sandbox athlete {athlete_id}; uploading sample activities\n")
            uploaded = []
            for activity in sample_activities(datetime.now(UTC)):
                uploaded.append(stack.upload(athlete_id, activity)["id"])
                # One at a time, as a runner would: each note sees the runs before it.
                stack.wait_idle()
            for activity_id in uploaded:
                stored = stack.activity(activity_id)
                print(f"activity {activity_id}  {stored['name']}  ({stored['sport_type']})")
                print(_indent(stored.get("description") or ""))
                print()
            if once:
                return 0
            print(f"Serving. Open {stack.web_url} ; Ctrl-C stops everything.")
            sys.stdout.flush()
            while True:
                stack.supervisor.check_alive()
                time.sleep(1)
    except KeyboardInterrupt:
        print("stopped")
        return 0
    except StartError as error:
        print(f"postrun demo failed: {error} (see {log_path})", file=sys.stderr)
        return 1
