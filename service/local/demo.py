"""``postrun demo``: the whole pipeline on this machine, against the Strava sandbox.

The demo athlete's eight weeks of real runs wait in the sandbox; the athlete
connects through the consent page, the history import reads them, and the
newest runs and a ride then arrive one by one through the webhook, Redis and
the worker. The demo prints each note as it lands and a sign-in link for the
athlete's settings page. Its own process only starts and watches the others,
so it imports little (docs/operations.md#the-demo).
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import IO

from service.config import Settings
from service.config import default_data_dir
from service.config import sqlite_url
from service.local.browser import Browser
from service.local.embedded import StartError
from service.local.embedded import Supervisor
from service.local.embedded import start_redis
from service.local.embedded import wait_until
from service.local.lock import LOCK_NAME
from service.local.lock import FolderBusy
from service.local.lock import FolderLock
from service.local.processes import SANDBOX_CLIENT_ID
from service.local.processes import SANDBOX_CLIENT_SECRET
from service.local.processes import postrun_command
from service.local.processes import start_sandbox
from service.local.processes import start_web
from service.local.processes import start_worker
from service.local.processes import wait_http
from service.local.samples import samples

ATHLETE = {"firstname": "Dana", "lastname": "Demo", "measurement_preference": "meters"}
# Sized for one person (docs/operations.md#the-demo); `postrun serve` keeps its own defaults.
WEB_ARGS = ("--workers", "1", "--threads", "4")
WORKER_ARGS = ("--pool", "threads", "--concurrency", "2")


def _say(line: str) -> None:
    print(line, flush=True)


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines()) if text else "    (empty)"


def _stop_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _empty(folder: Path) -> None:
    """Yesterday's files would only confuse a sandbox that starts empty; the lock stays."""
    for entry in folder.iterdir():
        if entry.name == LOCK_NAME:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def sign_in_link(sandbox_url: str, web_url: str, athlete_id: int) -> str:
    """The sandbox's sign-in link: the consent page with the athlete chosen, then settings."""
    query = urllib.parse.urlencode({"athlete_id": athlete_id, "next": f"{web_url}/connect"})
    return f"{sandbox_url}/login?{query}"


class Demo:
    def __init__(self, folder: Path, log: IO[bytes]) -> None:
        self.folder = folder
        self.log = log
        self.supervisor = Supervisor()
        self.browser = Browser()
        self.database = folder / "postrun.sqlite3"

    def _settings(self, redis_url: str, sandbox_url: str) -> dict[str, str]:
        key_file = self.folder / "token.key"
        # A Fernet key is 32 random bytes in URL-safe base64 (owner-only, as the folder).
        key = base64.urlsafe_b64encode(os.urandom(32)).decode()
        key_file.write_text(key + "\n")
        settings = Settings(
            database_url=sqlite_url(self.database),
            redis_url=redis_url,
            secret_key=secrets.token_hex(32),
            strava_client_id=SANDBOX_CLIENT_ID,
            strava_client_secret=SANDBOX_CLIENT_SECRET,
            strava_verify_token=secrets.token_urlsafe(16),
            strava_base_url=sandbox_url,
            token_key=key,
            embedded=True,
            # Nobody edits on a phone in the demo: process at once.
            processing_delay_s=0,
        )
        return {**settings.to_env(), "SILENCE_TOKEN_WARNINGS": "true", "POSTRUN_LOG_FORMAT": "text"}

    def start(self) -> None:
        _say("  starting Redis (restarted if it dies)")
        redis_url = start_redis(self.supervisor, self.folder, self.log, restart=True)
        _say("  starting the Strava sandbox")
        self.sandbox_url = start_sandbox(self.supervisor, self.log, ("--consent", "page"))
        self.env = self._settings(redis_url, self.sandbox_url)
        _say("  starting the web app, a worker and beat (the sweeper)")
        self.web_url = start_web(self.supervisor, self.env, self.log, WEB_ARGS, migrate=True)
        # Beat's schedule runs on a thread of the worker (workers/threaded_beat.py).
        schedule = ("--beat-thread", str(self.folder / "beat-schedule"))
        start_worker(self.supervisor, self.env, self.log, (*WORKER_ARGS, *schedule))
        wait_http(self.supervisor, f"{self.sandbox_url}/sandbox/health", "the Strava sandbox")

    def sandbox(self, method: str, path: str, body: object = None) -> object:
        return self.browser.json(method, f"{self.sandbox_url}{path}", body)

    def prepare_athlete(self) -> int:
        """The demo athlete and their history, in the sandbox before anyone subscribes."""
        plan = samples(datetime.now(UTC))
        created = self.sandbox("POST", "/sandbox/athletes", ATHLETE)
        assert isinstance(created, dict)
        athlete_id = int(created["athlete_id"])
        self.live = plan.live
        _say(
            f"  the demo athlete {ATHLETE['firstname']} {ATHLETE['lastname']} ({athlete_id},"
            f" {plan.zone}): {len(plan.history)} runs over eight weeks"
        )
        for activity in plan.history:
            self.sandbox(
                "POST", "/sandbox/activities", {"athlete_id": athlete_id, "activity": activity}
            )
        return athlete_id

    def connect(self, athlete_id: int) -> None:
        wait_http(self.supervisor, f"{self.web_url}/up", "the web app")
        _say(f"  web app up at {self.web_url}; subscribing to the sandbox's webhooks")
        subscribe = subprocess.Popen(
            [*postrun_command(), "subscribe", "--callback-url", f"{self.web_url}/webhooks/strava"],
            env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        _say("  connecting the athlete through the consent page; the worker imports the history")
        self.browser.connect(self.web_url, athlete_id)
        if subscribe.wait(60) != 0:
            raise StartError("postrun subscribe failed")
        self._wait_for(
            lambda db: db.execute(
                "SELECT 1 FROM athletes WHERE id = ? AND backfill_status != 'pending'",
                (athlete_id,),
            ).fetchone(),
            "the history import",
        )

    def _wait_for(self, query: Callable[[sqlite3.Connection], object], what: str) -> None:
        def ready() -> bool:
            self.supervisor.check_alive()
            with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=5) as db:
                return bool(query(db))

        wait_until(ready, 120, what, interval=0.05)

    def upload(self, athlete_id: int) -> None:
        """The newest activities, one at a time as a runner would: each note sees the last."""
        _say(f"  uploading {len(self.live)} new activities; each goes webhook, Redis, worker\n")
        for activity in self.live:
            made = self.sandbox(
                "POST", "/sandbox/activities", {"athlete_id": athlete_id, "activity": activity}
            )
            assert isinstance(made, dict)
            activity_id = int(made["id"])
            self._wait_for(
                lambda db, a=activity_id: db.execute(  # type: ignore[misc]
                    "SELECT 1 FROM events WHERE object_id = ? AND status != 'pending'", (a,)
                ).fetchone(),
                f"activity {activity_id}'s note",
            )
            stored = self.sandbox("GET", f"/sandbox/activities/{activity_id}")
            assert isinstance(stored, dict)
            _say(f"activity {activity_id}  {stored['name']}  ({stored['sport_type']})")
            _say(_indent(stored.get("description") or "") + "\n")


def run_demo(data_dir: Path | None, once: bool) -> int:
    folder = (data_dir or default_data_dir() / "demo").expanduser().resolve()
    # Everything the demo and its children write is readable by its owner only.
    os.umask(0o077)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    lock = FolderLock(folder)
    try:
        lock.acquire()
    except FolderBusy as busy:
        print(f"postrun demo: {busy}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    log_path = folder / "demo.log"
    demo: Demo | None = None
    try:
        _empty(folder)
        _say(f"postrun demo in {folder} (readable by you only; log in demo.log)")
        with log_path.open("ab") as log:
            demo = Demo(folder, log)
            demo.start()
            athlete_id = demo.prepare_athlete()
            demo.connect(athlete_id)
            demo.upload(athlete_id)
            _say(f"web app    {demo.web_url}")
            _say(f"sandbox    {demo.sandbox_url}")
            link = sign_in_link(demo.sandbox_url, demo.web_url, athlete_id)
            _say(f"sign in as the demo athlete: {link}")
            if once:
                return 0
            _say(f"Serving. Open the sign-in link above; Ctrl-C stops everything ({demo.web_url}).")
            while True:
                demo.supervisor.check_alive()
                time.sleep(1)
    except KeyboardInterrupt:
        _say("stopped")
        return 0
    except (StartError, OSError) as error:
        print(f"postrun demo failed: {error} (see {log_path})", file=sys.stderr)
        return 1
    finally:
        if demo is not None:
            demo.supervisor.stop_all()
        lock.release()
