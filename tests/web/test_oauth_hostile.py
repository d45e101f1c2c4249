"""The OAuth callback against a replay, a stripped scope and a chosen Host header
(issue #13, item 11)."""

from __future__ import annotations

import dataclasses
import logging
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from service.storage.models import Athlete
from service.web.app import create_app
from tests.web.conftest import authorize_redirect


def athletes(deps):
    with deps.session_factory() as session:
        return list(session.scalars(sa.select(Athlete)))


def test_replaying_a_callback_with_the_pre_callback_cookie_is_a_clear_400(
    app, client, sandbox, control, deps, backfills
):
    athlete_id = control("POST", "/sandbox/athletes", json={})["athlete_id"]
    path = authorize_redirect(client, sandbox, athlete_id)
    before = client.get_cookie("postrun_session").value  # holds the state, not yet used
    assert client.get(path).status_code == 303

    replay = app.test_client()
    replay.set_cookie("postrun_session", before)
    response = replay.get(path)

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Connect again" in page
    assert parse_qs(urlsplit(path).query)["code"][0] not in page
    assert replay.get("/settings").status_code == 302  # not signed in by the replay
    assert backfills == [athlete_id]  # the first callback's, once


def test_a_callback_without_scope_stores_nothing_and_shows_the_missing_scopes(
    client, sandbox, control, deps, backfills
):
    athlete_id = control("POST", "/sandbox/athletes", json={})["athlete_id"]
    path = authorize_redirect(client, sandbox, athlete_id)
    query = {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
    del query["scope"]

    response = client.get(f"/connect/callback?{urlencode(query)}")

    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "activity:write" in page
    assert athletes(deps) == []
    assert backfills == []
    assert client.get("/settings").status_code == 302


@pytest.mark.parametrize("scope", ["", ",", "read"])
def test_an_empty_or_partial_scope_stores_nothing(client, sandbox, control, deps, scope):
    athlete_id = control("POST", "/sandbox/athletes", json={})["athlete_id"]
    path = authorize_redirect(client, sandbox, athlete_id)
    query = {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}

    response = client.get(f"/connect/callback?{urlencode({**query, 'scope': scope})}")

    assert response.status_code == 403
    assert athletes(deps) == []


def test_the_redirect_uri_ignores_the_host_header(client):
    location = client.get("/connect", headers={"Host": "evil.example"}).headers["Location"]
    assert parse_qs(urlsplit(location).query)["redirect_uri"] == [
        "http://localhost/connect/callback"
    ]


@pytest.fixture
def unconfigured(app_settings, deps):
    """Production settings (not the embedded default) without POSTRUN_PUBLIC_URL."""
    app = create_app(dataclasses.replace(app_settings, public_url=None))
    app.extensions["postrun"].strava.budget = None
    yield app
    app.extensions["postrun.engine"].dispose()


def test_without_a_public_url_connect_says_so_instead_of_trusting_the_host(unconfigured, caplog):
    client = unconfigured.test_client()
    with caplog.at_level(logging.ERROR):
        response = client.get("/connect", headers={"Host": "evil.example"})

    assert response.status_code == 500
    assert "POSTRUN_PUBLIC_URL" in response.get_data(as_text=True)
    assert "evil.example" not in response.headers.get("Location", "")
    assert "POSTRUN_PUBLIC_URL" in caplog.text


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1:8000", "postrun.example.org"])
def test_without_a_public_url_the_cookie_is_secure_whatever_the_host(unconfigured, host):
    client = unconfigured.test_client()
    with client.session_transaction(base_url=f"http://{host}") as session:
        session["athlete_id"] = 1
    assert client.get_cookie("postrun_session", domain=host.split(":")[0]).secure


def test_the_embedded_default_builds_the_redirect_from_the_request(app_settings, deps):
    settings = dataclasses.replace(app_settings, public_url=None, embedded=True)
    app = create_app(settings)
    try:
        response = app.test_client().get("/connect", base_url="http://127.0.0.1:5123")
    finally:
        app.extensions["postrun.engine"].dispose()
    location = response.headers["Location"]
    assert parse_qs(urlsplit(location).query)["redirect_uri"] == [
        "http://127.0.0.1:5123/connect/callback"
    ]
    assert "Secure" not in response.headers["Set-Cookie"]


def test_an_http_public_url_never_marks_the_cookie_secure_whatever_the_host(client):
    response = client.get("/connect", base_url="https://postrun.example.org")
    assert "Secure" not in response.headers["Set-Cookie"]
