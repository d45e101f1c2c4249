"""Shared fixtures: a migrated database per test, and the app built from the factory."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck
from hypothesis import settings

from service import migrate
from service.app import create_app
from service.config import Settings
from service.config import sqlite_url

settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SUBSCRIPTION_ID = 120475
VERIFY_TOKEN = "STRAVA"


@pytest.fixture
def database_url(tmp_path):
    url = sqlite_url(tmp_path / "postrun.sqlite3")
    migrate.upgrade(url)
    return url


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
    )


@pytest.fixture
def app(app_settings):
    application = create_app(app_settings)
    application.config["TESTING"] = True
    yield application
    application.extensions["postrun.engine"].dispose()


@pytest.fixture
def deps(app):
    return app.extensions["postrun"]


@pytest.fixture
def client(app):
    return app.test_client()
