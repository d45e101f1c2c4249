"""``postrun demo``: the README's first command, run as a user would."""

from __future__ import annotations

import html
import os
import re
import signal
import sqlite3
import stat
import subprocess
import time
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import requests

from bench.demo import descendants
from service.local.embedded import wait_until
from service.local.processes import postrun_command

pytestmark = pytest.mark.e2e


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_demo_once_annotates_runs_and_leaves_the_ride(short_dir):
    data_dir = short_dir
    result = subprocess.run(
        [*postrun_command(), "demo", "--once", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert out.count("— postrun") >= 5
    for word in ("row", "Cobra", "Rear-delt fly", "This week:"):
        assert word in out
    ride = out.split("Evening Ride  (Ride)\n", 1)[1].split("\n\n", 1)[0]
    assert ride.strip() == "(empty)"
    assert "Starting uphill." in out  # the athlete's own words on the last run
    assert "WARNING" not in result.stderr
    assert re.search(r"sign in as the demo athlete: http://\S+/login\?athlete_id=\d+&next=", out)
    # Every file the demo and its children wrote is readable by its owner only.
    for path in [data_dir, *data_dir.iterdir()]:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    with sqlite3.connect(data_dir / "postrun.sqlite3") as db:
        starts = [
            datetime.fromisoformat(str(row[0]))
            for row in db.execute("SELECT start FROM activities WHERE is_run")
        ]
    weeks = {start.isocalendar()[:2] for start in starts}
    assert len(starts) >= 30
    assert len(weeks) >= 8  # eight weeks of history for the chart and the range


def read_until_serving(demo: subprocess.Popen[str]) -> list[str]:
    lines = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = demo.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Serving."):
            break
    assert lines, "the demo printed nothing"
    assert lines[-1].startswith("Serving."), "".join(lines)[-2000:]
    return lines


def sign_in(link: str) -> tuple[requests.Session, requests.Response]:
    """Follow the demo's sign-in link and approve on the consent page, as a person would.

    Returns the browser's session and the page Authorize lands on."""
    browser = requests.Session()
    browser.trust_env = False
    consent = browser.get(link, timeout=30)
    assert consent.status_code == 200
    athlete_id = re.search(r"athlete_id=(\d+)", link).group(1)
    assert re.search(rf'value="{athlete_id}" required\s+checked', consent.text), "not preselected"
    form = {
        name: html.unescape(value)
        for name, value in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', consent.text)
    }
    form.update(athlete_id=athlete_id, decision="approve")
    form["granted"] = re.findall(r'name="granted" value="([^"]+)" checked', consent.text)
    return browser, browser.post(consent.url.split("?", 1)[0], data=form, timeout=30)


def answers_ping(sock) -> bool:
    client = redis.Redis(unix_socket_path=str(sock), socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def test_running_demo_signs_in_survives_redis_and_stops_on_sigterm(short_dir):
    demo = subprocess.Popen(
        [*postrun_command(), "demo", "--data-dir", str(short_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        out = "".join(read_until_serving(demo))
        children = descendants(demo.pid)
        assert len(children) >= 4  # redis-server, sandbox, gunicorn (+ its worker), celery
        # Beat (the sweeper) runs on a thread of the worker (workers/threaded_beat.py).
        assert any(" worker " in cmdline(p) and "--beat-thread" in cmdline(p) for p in children)

        link = re.search(r"sign in as the demo athlete: (\S+)", out).group(1)
        browser, settings = sign_in(link)
        assert settings.url.endswith("/settings")
        assert "Hi Dana" in settings.text
        # Connecting again starts a new eight-week import, and a new run waits for it (up
        # to 15 minutes). Let it finish first: this test is about Redis dying, and a
        # backfill task that was in flight when Redis died comes back only when the
        # sweeper enqueues it again, after POSTRUN_BACKFILL_SWEEP_AFTER_S (5 minutes;
        # docs/operations.md#what-survives-a-crash).
        wait_until(
            lambda: "Your last eight weeks are in" in browser.get(settings.url, timeout=10).text,
            60,
            "the import after connecting",
            interval=0.5,
        )

        # kill -9 of Redis: the demo starts it again and the next run still gets its note.
        (redis_pid,) = [pid for pid in children if "redis-server" in cmdline(pid)]
        os.kill(redis_pid, signal.SIGKILL)
        wait_until(
            lambda: any("redis-server" in cmdline(p) for p in descendants(demo.pid) - {redis_pid}),
            30,
            "Redis to be restarted",
        )
        # Restarted is not yet serving: a webhook that finds Redis still loading its file
        # is stored in the database and waits for the sweeper (two minutes), by design.
        wait_until(lambda: answers_ping(short_dir / "redis.sock"), 30, "Redis to answer")
        sandbox_url = link.split("/login", 1)[0]
        athlete_id = int(re.search(r"athlete_id=(\d+)", link).group(1))
        start = (datetime.now(UTC) - timedelta(minutes=50)).strftime("%Y-%m-%dT%H:%M:%SZ")
        run = {
            "name": "After the restart",
            "sport_type": "Run",
            "distance": 5000.0,
            "moving_time": 1500,
            "elapsed_time": 1550,
            "start_date": start,
        }
        made = requests.post(
            f"{sandbox_url}/sandbox/activities",
            json={"athlete_id": athlete_id, "activity": run},
            timeout=30,
        ).json()

        def annotated() -> bool:
            stored = requests.get(f"{sandbox_url}/sandbox/activities/{made['id']}", timeout=5)
            return "— postrun" in (stored.json().get("description") or "")

        wait_until(annotated, 90, "a note after Redis came back", interval=0.5)
        assert demo.poll() is None

        children = descendants(demo.pid)
        demo.send_signal(signal.SIGTERM)

        assert demo.wait(timeout=30) == 0
        wait_until(lambda: not any(alive(pid) for pid in children), 15, "children to exit")
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        demo.stdout.close()
