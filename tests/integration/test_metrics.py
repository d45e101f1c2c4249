"""/metrics: a bounded set of series whatever was stored, an optional bearer token,
and ``nosniff`` on every answer (issue #13, items 8 and 13)."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC
from datetime import datetime

import pytest

from service.ops.metrics import render
from service.storage.counters import Counters
from service.storage.models import Activity
from service.storage.models import Athlete
from service.storage.models import Event
from service.web.app import create_app

ODD = 2000
SERIES = re.compile(r"^(postrun_[a-z_]+)\{", re.MULTILINE)


def series(text: str, family: str) -> int:
    return sum(1 for name in SERIES.findall(text) if name == family)


def event(key, object_type, aspect_type, status):
    return Event(
        dedupe_key=key,
        subscription_id=1,
        object_type=object_type,
        object_id=1,
        aspect_type=aspect_type,
        owner_id=1,
        event_time=1,
        updates={},
        status=status,
    )


def store_odd_rows(deps):
    """Rows the door would refuse today, as an older release or a bug could leave them."""
    with deps.session_factory() as session:
        for n in range(ODD):
            status = f"status{n}" if n % 2 else "done"
            session.add(event(f"odd-{n}", f"thing{n}", f"aspect{n}", status))
        session.add(event("real", "activity", "create", "done"))
        session.commit()


def test_two_thousand_odd_values_give_a_bounded_number_of_series(client, deps):
    store_odd_rows(deps)

    response = client.get("/metrics")

    assert response.status_code == 200
    text = response.get_data(as_text=True)
    # object (2 + other) x aspect (3 + other) x status (4 + other) at the very most.
    assert series(text, "postrun_events") <= 3 * 4 * 5
    assert 'postrun_events{aspect_type="other",object_type="other",status="done"} 1000.0' in text
    assert 'postrun_events{aspect_type="other",object_type="other",status="other"} 1000.0' in text
    assert 'postrun_events{aspect_type="create",object_type="activity",status="done"} 1.0' in text
    assert "thing" not in text
    assert len(text) < 10_000


def test_odd_counter_names_and_activity_statuses_are_other(deps, redis_client):
    counters = Counters(redis_client)
    for n in range(ODD):
        counters.add(f"strava:odd{n}")
        counters.add(f"task:odd{n}")
    counters.add("strava:ok", 5)
    with deps.session_factory() as session:
        session.add(Athlete(id=1, access_token="a", refresh_token="r", expires_at=1))
        session.flush()
        for n in range(50):
            start = datetime(2026, 1, 1, tzinfo=UTC)
            session.add(Activity(id=n + 1, athlete_id=1, start=start, status=f"weird{n}"))
        session.commit()

    text = render(deps.session_factory, redis_client, None).decode()

    assert series(text, "postrun_strava_calls_total") == 2
    assert f'postrun_strava_calls_total{{outcome="other"}} {ODD}.0' in text
    assert 'postrun_strava_calls_total{outcome="ok"} 5.0' in text
    assert series(text, "postrun_tasks_total") == 1
    assert 'postrun_activities{status="other"} 50.0' in text
    assert "odd" not in text
    assert "weird" not in text


@pytest.fixture
def guarded(app_settings):
    app = create_app(dataclasses.replace(app_settings, metrics_token="s3cret-scrape-token"))
    yield app.test_client()
    app.extensions["postrun.engine"].dispose()


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer wrong",
        "Bearer s3cret-scrape-token ",
        "Basic s3cret-scrape-token",
    ],
)
def test_a_metrics_token_refuses_every_other_request(guarded, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = guarded.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert b"postrun_" not in response.data


def test_a_metrics_token_lets_its_bearer_in(guarded):
    response = guarded.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"})
    assert response.status_code == 200
    assert b"postrun_events" in response.data


def test_without_a_token_metrics_stay_open(client):
    assert client.get("/metrics").status_code == 200


@pytest.mark.parametrize("path", ["/metrics", "/ping", "/up", "/", "/webhooks/strava"])
def test_every_answer_says_nosniff(client, path):
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_refused_webhook_says_nosniff(client):
    response = client.post("/webhooks/strava", data=b"not json")
    assert response.status_code == 400
    assert response.headers["X-Content-Type-Options"] == "nosniff"
