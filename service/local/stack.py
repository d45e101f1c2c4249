"""The whole service on one machine: Redis, the Strava sandbox, the web app and a worker.

``postrun demo`` and the end-to-end tests both use this, so the tests exercise
the same ``postrun serve`` and ``postrun worker`` commands that the compose file
runs; only the addresses differ.
"""

from __future__ import annotations

import dataclasses
import secrets
import signal
from pathlib import Path
from types import TracebackType
from typing import IO
from typing import Any

import redis
import requests
import sqlalchemy as sa
from celery import Celery

from service.accounts.connect import connect_athlete
from service.config import Settings
from service.config import default_web_workers
from service.config import redis_client_url
from service.config import sqlite_url
from service.local.embedded import Supervisor
from service.local.embedded import start_redis
from service.local.embedded import wait_until
from service.local.processes import SANDBOX_CLIENT_ID
from service.local.processes import SANDBOX_CLIENT_SECRET
from service.local.processes import postrun_command
from service.local.processes import start_beat
from service.local.processes import start_sandbox
from service.local.processes import start_web
from service.local.processes import start_worker
from service.local.processes import wait_http
from service.pipeline.deps import Deps
from service.pipeline.inbox import Inbox
from service.pipeline.intake import save_subscription_id
from service.storage import crypto
from service.storage import migrate
from service.storage.db import make_engine
from service.storage.db import make_session_factory
from service.storage.models import Event
from service.strava.gateway import StravaGateway

__all__ = ["SANDBOX_CLIENT_ID", "SANDBOX_CLIENT_SECRET", "Stack", "postrun_command"]


class Stack:
    """Start with ``with Stack(data_dir) as stack:``; everything stops on exit."""

    def __init__(
        self,
        data_dir: Path,
        *,
        web_workers: int | None = None,  # None: as `postrun serve`, two per core
        worker_args: tuple[str, ...] = ("--pool", "threads", "--concurrency", "4"),
        sandbox_args: tuple[str, ...] = (),
        log: IO[bytes] | None = None,
        settings_overrides: dict[str, Any] | None = None,
        beat: bool = False,
    ) -> None:
        self.data_dir = data_dir
        self.web_workers = web_workers
        self.worker_args = worker_args
        self.sandbox_args = sandbox_args
        self.log = log
        self.settings_overrides = settings_overrides or {}
        self.beat = beat
        self.supervisor = Supervisor()
        self.http = requests.Session()
        self.http.trust_env = False
        self.sandbox_url = ""
        self.web_url = ""
        self.settings = Settings()
        self.deps: Deps | None = None
        self._engine: sa.Engine | None = None
        self._celery: Celery | None = None

    # Lifecycle -------------------------------------------------------------

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # The embedded default keeps its token key beside its database, owner-only.
        token_key = crypto.ensure_key_file(self.data_dir / "token.key")
        redis_url = start_redis(self.supervisor, self.data_dir, self.log)
        self.sandbox_url = start_sandbox(self.supervisor, self.log, self.sandbox_args)
        wait_http(self.supervisor, f"{self.sandbox_url}/sandbox/stats", "the Strava sandbox")
        self.settings = dataclasses.replace(
            self._settings_for(redis_url),
            **{"token_key": token_key, "embedded": True, **self.settings_overrides},
        )
        # The schema exists before any web or worker process forks
        # (docs/sources.md#why-the-schema-is-migrated-before-any-process-forks:
        # two gunicorn workers creating tables at once killed one of them).
        key = self.settings.token_key or token_key
        migrate.upgrade(self.settings.database_url, token_key=key)
        self._engine = crypto.attach(
            make_engine(self.settings.database_url), crypto.TokenCipher(key)
        )
        self.deps = Deps(
            settings=self.settings,
            session_factory=make_session_factory(self._engine),
            strava=StravaGateway(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, self.sandbox_url),
        )
        self.deps.enqueue = self._enqueue
        workers = str(self.web_workers or default_web_workers())
        self.web_url = start_web(self.supervisor, self._env(), self.log, ("--workers", workers))
        wait_http(self.supervisor, f"{self.web_url}/up", "the web app")
        self.start_worker()
        if self.beat:
            start_beat(self.supervisor, self._env(), self.log, self.data_dir)
        subscription_id = self.deps.strava.create_subscription(
            f"{self.web_url}/webhooks/strava", self.settings.strava_verify_token or ""
        )
        save_subscription_id(self.deps, subscription_id)

    def _settings_for(self, redis_url: str) -> Settings:
        return Settings(
            database_url=sqlite_url(self.data_dir / "postrun.sqlite3"),
            redis_url=redis_url,
            secret_key=secrets.token_hex(32),
            strava_client_id=SANDBOX_CLIENT_ID,
            strava_client_secret=SANDBOX_CLIENT_SECRET,
            strava_verify_token=secrets.token_urlsafe(16),
            strava_base_url=self.sandbox_url,
            # Nobody edits on a phone in the demo or the tests: process at once.
            processing_delay_s=0,
        )

    def stop(self) -> None:
        if self._celery is not None:
            self._celery.close()
        self.supervisor.stop_all()
        self.http.close()
        if self._engine is not None:
            self._engine.dispose()

    def _env(self) -> dict[str, str]:
        # stravalib reads the client credentials from the environment only.
        return {
            **self.settings.to_env(),
            "SILENCE_TOKEN_WARNINGS": "true",
            # Readable lines for people watching the demo's log.
            "POSTRUN_LOG_FORMAT": "text",
        }

    def _enqueue(self, event_id: int) -> None:
        """Hand an event to the real worker, as the web app does."""
        self._send("postrun.process_event", event_id, queue="postrun")

    def _enqueue_backfill(self, athlete_id: int) -> None:
        """Queue an athlete's eight-week import, as connecting in the web app does."""
        # The low-priority queue of celery_config's routes.
        self._send("postrun.backfill_athlete", athlete_id, queue="postrun-low")

    def _send(self, task: str, argument: int, queue: str) -> None:
        if self._celery is None:
            self._celery = Celery(broker=self.settings.redis_url)
        self._celery.send_task(task, args=(argument,), queue=queue)

    def kill_worker(self) -> None:
        """SIGKILL the worker, as the kernel's OOM killer or a lost machine would."""
        self.supervisor.kill("worker", signal.SIGKILL)

    def restart_redis(self, sig: int = signal.SIGKILL) -> None:
        """Kill redis-server and start it again on the same socket and append-only file."""
        self.supervisor.kill("redis-server", sig)
        start_redis(self.supervisor, self.data_dir, self.log)

    def start_worker(self) -> None:
        start_worker(self.supervisor, self._env(), self.log, self.worker_args)
        probe = Celery(broker=self.settings.redis_url)
        try:
            wait_until(
                lambda: self._alive() and bool(probe.control.ping(timeout=0.5)),
                60,
                "the Celery worker to answer ping",
            )
        finally:
            probe.close()

    def _alive(self) -> bool:
        self.supervisor.check_alive()
        return True

    # Driving the sandbox ----------------------------------------------------

    def sandbox(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, f"{self.sandbox_url}{path}", timeout=30, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def connect_athlete(self, **profile: Any) -> int:
        """Create a sandbox athlete and connect them through the real OAuth code exchange."""
        created = self.sandbox("POST", "/sandbox/athletes", json=profile)
        return self.connect(created["code"])

    def connect(self, code: str, backfill: bool = False) -> int:
        """Connect the sandbox athlete whose OAuth ``code`` this is. With ``backfill``
        their eight-week import is queued for the worker, as the web app's connect
        does; without, they start with none and their runs never wait for one."""
        assert self.deps is not None
        deps = self.deps
        if backfill:
            deps = dataclasses.replace(deps, enqueue_backfill=self._enqueue_backfill)
        return connect_athlete(deps, code)

    def upload(self, athlete_id: int, activity: dict[str, Any]) -> dict[str, Any]:
        return self.sandbox(
            "POST", "/sandbox/activities", json={"athlete_id": athlete_id, "activity": activity}
        )

    def activity(self, activity_id: int) -> dict[str, Any]:
        return self.sandbox("GET", f"/sandbox/activities/{activity_id}")

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Wait until the sandbox has delivered every webhook and no event is pending."""
        assert self.deps is not None
        self.sandbox("GET", "/sandbox/webhooks", params={"wait": 1})

        inbox = Inbox(redis.Redis.from_url(redis_client_url(self.settings.redis_url)))

        def settled() -> bool:
            self.supervisor.check_alive()
            if inbox.backlog():
                return False
            with self.deps.session_factory() as session:  # type: ignore[union-attr]
                pending = session.scalar(
                    sa.select(sa.func.count()).select_from(Event).where(Event.status == "pending")
                )
            return pending == 0

        try:
            wait_until(settled, timeout, "every event to be processed", interval=0.05)
        finally:
            inbox.client.close()
