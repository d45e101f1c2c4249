"""The web app in-process (Flask test client) against a real Strava sandbox on a free port.

``connect`` walks the whole OAuth dance: /connect, the sandbox's authorize page
(auto-approve), and the callback, so a test starts signed in as a sandbox athlete.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urlsplit

import pytest
import requests

from sandbox import SandboxConfig
from sandbox import SandboxServer
from service.pipeline.deps import local_lock
from service.storage.models import Activity

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def sandbox():
    server = SandboxServer(SandboxConfig(webhook_retry_delay_s=0.05)).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def control(sandbox):
    http = requests.Session()
    http.trust_env = False

    def call(method, path, **kwargs):
        response = http.request(method, sandbox.url + path, timeout=15, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    yield call
    http.close()


@pytest.fixture
def app_settings(app_settings, sandbox):
    return dataclasses.replace(app_settings, strava_base_url=sandbox.url)


@pytest.fixture
def backfills():
    """Athlete ids handed to the backfill, instead of a Celery queue."""
    return []


@pytest.fixture
def deps(deps, backfills):
    """The app's collaborators without Redis: these tests start no redis-server.

    The rate budget and the named locks are Redis-backed in the app; here one process
    serves every request, so an in-process lock does the same and the sandbox counts
    the calls itself.
    """
    deps.lock = local_lock
    deps.strava.budget = None
    deps.enqueue_backfill = backfills.append
    return deps


@pytest.fixture
def client(app, deps):
    return app.test_client()


def authorize_redirect(client, sandbox, athlete_id=None, scope=None):
    """/connect, then the sandbox's consent; returns the callback path with its query."""
    started = client.get("/connect")
    assert started.status_code == 302
    url = started.headers["Location"]
    assert url.startswith(sandbox.url + "/oauth/authorize?")
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    if athlete_id is not None:
        params["athlete_id"] = str(athlete_id)
    if scope is not None:
        params["scope"] = scope
    answer = requests.get(
        f"{sandbox.url}/oauth/authorize?{urlencode(params)}", allow_redirects=False, timeout=10
    )
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    return f"{back.path}?{back.query}"


def connect(client, sandbox, control, **profile):
    """Sign ``client`` in as a new sandbox athlete; returns the athlete id."""
    athlete_id = control("POST", "/sandbox/athletes", json=profile)["athlete_id"]
    response = client.get(authorize_redirect(client, sandbox, athlete_id))
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/settings")
    return athlete_id


def csrf_token(client, path="/settings"):
    page = client.get(path).get_data(as_text=True)
    found = CSRF.search(page)
    assert found, "no CSRF token on " + path
    return found.group(1)


def add_run(deps, athlete_id, activity_id, days_ago=1.0, distance_m=8000.0, **fields):
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=days_ago)
    values = {
        "id": activity_id,
        "athlete_id": athlete_id,
        "name": f"Run {activity_id}",
        "sport_type": "Run",
        "start": start,
        "distance_m": distance_m,
        "moving_time_s": int(distance_m * 0.33),
        "is_run": True,
        "status": "annotated",
        **fields,
    }
    with deps.session_factory() as session:
        session.add(Activity(**values))
        session.commit()
