"""Shared fixtures: a migrated database per test, and the app built from the factory."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck
from hypothesis import settings

from service.config import Settings
from service.config import sqlite_url
from service.storage import crypto
from service.storage import migrate
from service.web.app import create_app

settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Strava's real limits (100 reads per 15 minutes) are far below what a test session
# spends; the budget tests set tight limits themselves.
SANDBOX_ARGS = (
    "--limit-15min",
    "1000000",
    "--limit-daily",
    "10000000",
    "--read-limit-15min",
    "1000000",
    "--read-limit-daily",
    "10000000",
)
SUBSCRIPTION_ID = 120475
VERIFY_TOKEN = "STRAVA"
# One Fernet key for the whole run: tokens in the test databases are encrypted with it.
TOKEN_KEY = crypto.new_key()


# Set by .ci/run to a throwaway PostgreSQL server: every test then gets a database of its own.
POSTGRES_SERVER = os.environ.get("POSTRUN_TEST_POSTGRES")


@contextlib.contextmanager
def fresh_database(folder: Path) -> Iterator[str]:
    """An empty database for one test (or one stack): SQLite in ``folder``, or PostgreSQL."""
    if not POSTGRES_SERVER:
        yield sqlite_url(folder / "postrun.sqlite3")
        return
    admin = sa.create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    name = f"postrun_test_{uuid.uuid4().hex[:16]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def database_url(tmp_path):
    with fresh_database(tmp_path) as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture
def app_settings(database_url):
    return Settings(
        database_url=database_url,
        # Nothing listens here: tests that need Redis start a real one themselves.
        redis_url="redis://127.0.0.1:1/0",
        secret_key="test-secret",
        strava_client_id=1,
        strava_client_secret="sandbox-secret",
        strava_verify_token=VERIFY_TOKEN,
        strava_subscription_id=SUBSCRIPTION_ID,
        token_key=TOKEN_KEY,
        # As in production, the OAuth redirect_uri comes from the public URL (the Flask
        # test client's requests go to http://localhost).
        public_url="http://localhost",
        # The per-athlete share lives in Redis, which these settings have none of; it is
        # tested on a real Redis (tests/integration/test_budget.py).
        athlete_calls_per_window=0,
    )


@pytest.fixture
def app(app_settings):
    application = create_app(app_settings)
    application.config["TESTING"] = True
    yield application
    application.extensions["postrun.engine"].dispose()
    application.extensions["postrun.upload_reader"].close()  # its child processes


@pytest.fixture
def deps(app):
    return app.extensions["postrun"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def redis_server():
    """A real redis-server on a unix socket for the session; yields its Celery-style URL."""
    import shutil
    import tempfile
    from pathlib import Path

    from service.local.embedded import Supervisor
    from service.local.embedded import start_redis

    workdir = Path(tempfile.mkdtemp(prefix="pr-redis-"))
    supervisor = Supervisor()
    try:
        yield start_redis(supervisor, workdir)
    finally:
        supervisor.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def redis_client(redis_server):
    import redis

    from service.config import redis_client_url

    client = redis.Redis.from_url(redis_client_url(redis_server))
    client.flushall()
    yield client
    client.close()


@contextlib.contextmanager
def running_stack(prefix: str, **options):
    """The whole service (Redis, sandbox, web, worker) for a test session or module.

    It runs on a fresh database of the suite's kind, with the sandbox's limits
    raised for tests, and prints the tail of its log if starting or the block fails.
    """
    import shutil
    import tempfile

    from service.local.stack import Stack

    # A short path: unix socket paths are limited to about 100 bytes.
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    log_path = workdir / "stack.log"
    overrides = options.pop("settings_overrides", {})
    # Later sandbox options win over SANDBOX_ARGS (argparse keeps the last value).
    sandbox_args = SANDBOX_ARGS + tuple(options.pop("sandbox_args", ()))
    try:
        with (
            fresh_database(workdir) as database_url,
            log_path.open("ab") as log,
            Stack(
                workdir,
                log=log,
                sandbox_args=sandbox_args,
                settings_overrides={
                    # Like SANDBOX_ARGS: tests spend far more per athlete than a runner.
                    "athlete_calls_per_window": 10**6,
                    # A 404 after a create is retried for seconds, not minutes: a test
                    # that announces an activity Strava does not have ends quickly.
                    "not_found_grace_s": 3,
                    **overrides,
                    "database_url": database_url,
                },
                **options,
            ) as stack,
        ):
            stack.log_path = log_path
            yield stack
    except BaseException:
        print(log_path.read_text(errors="replace")[-8000:])
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
