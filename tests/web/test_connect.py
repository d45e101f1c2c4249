"""Connecting with Strava: the authorize redirect, the callback and its error paths."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from service.config import ConfigError
from service.storage.models import Athlete
from service.web.app import create_app
from tests.conftest import TOKEN_KEY
from tests.web.conftest import authorize_redirect
from tests.web.conftest import connect


def athletes(deps):
    with deps.session_factory() as session:
        return list(session.scalars(sa.select(Athlete)))


def test_connect_redirects_to_strava_with_the_scopes_and_a_session_state(client, sandbox):
    response = client.get("/connect")

    assert response.status_code == 302
    url = urlsplit(response.headers["Location"])
    params = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{sandbox.url}/oauth/authorize"
    assert params["response_type"] == "code"
    assert set(params["scope"].split(",")) == {
        "activity:read_all",
        "activity:write",
        "profile:read_all",
    }
    assert params["redirect_uri"] == "http://localhost/connect/callback"
    assert len(params["state"]) >= 32
    with client.session_transaction() as session:
        assert session["oauth_state"] == params["state"]


def test_a_new_state_each_time(client):
    first = parse_qs(urlsplit(client.get("/connect").headers["Location"]).query)["state"]
    second = parse_qs(urlsplit(client.get("/connect").headers["Location"]).query)["state"]
    assert first != second


def test_public_url_sets_the_redirect_uri(app_settings):
    settings = dataclasses.replace(app_settings, public_url="https://postrun.example.org")
    app = create_app(settings)
    try:
        location = app.test_client().get("/connect").headers["Location"]
    finally:
        app.extensions["postrun.engine"].dispose()
    redirect_uri = parse_qs(urlsplit(location).query)["redirect_uri"][0]
    assert redirect_uri == "https://postrun.example.org/connect/callback"


def test_callback_stores_the_athlete_signs_in_and_queues_the_backfill(
    client, sandbox, control, deps, backfills
):
    athlete_id = connect(client, sandbox, control, firstname="Ada")

    (stored,) = athletes(deps)
    assert stored.id == athlete_id
    assert stored.firstname == "Ada"
    assert "activity:write" in stored.scope
    assert stored.backfill_status == "pending"
    assert backfills == [athlete_id]
    with client.session_transaction() as session:
        assert session["athlete_id"] == athlete_id
        assert "oauth_state" not in session
    page = client.get("/settings")
    assert page.status_code == 200
    assert "Hi Ada" in page.get_data(as_text=True)


def test_tokens_are_encrypted_at_rest(client, sandbox, control, deps, backfills):
    athlete_id = connect(client, sandbox, control)
    with deps.session_factory() as session:
        athlete = session.get(Athlete, athlete_id)
        plain = (athlete.access_token, athlete.refresh_token)
        raw = session.execute(
            sa.text("SELECT access_token, refresh_token FROM athletes WHERE id = :id"),
            {"id": athlete_id},
        ).one()

    assert control("GET", "/api/v3/athlete", headers={"Authorization": f"Bearer {plain[0]}"})
    for clear, stored in zip(plain, raw, strict=True):
        assert clear not in stored
        assert Fernet(TOKEN_KEY.encode()).decrypt(stored.encode()).decode() == clear


def test_session_cookie_is_httponly_and_lax_and_not_secure_on_localhost(
    client, sandbox, control, backfills
):
    athlete_id = control("POST", "/sandbox/athletes", json={})["athlete_id"]
    response = client.get(authorize_redirect(client, sandbox, athlete_id))
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("postrun_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_when_the_public_url_is_https(app_settings):
    settings = dataclasses.replace(app_settings, public_url="https://postrun.example.org")
    app = create_app(settings)
    try:
        # Whatever Host the request names: a proxy may have rewritten it to localhost.
        response = app.test_client().get("/connect", base_url="http://127.0.0.1:8000")
    finally:
        app.extensions["postrun.engine"].dispose()
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


@pytest.mark.parametrize("state", ["", "forged", None])
def test_a_wrong_or_missing_state_is_refused(client, sandbox, control, deps, state):
    athlete_id = control("POST", "/sandbox/athletes", json={})["athlete_id"]
    path = authorize_redirect(client, sandbox, athlete_id)
    query = parse_qs(urlsplit(path).query)
    code = query["code"][0]
    tail = "" if state is None else f"&state={state}"

    response = client.get(f"/connect/callback?code={code}{tail}")

    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)
    assert code not in response.get_data(as_text=True)
    assert athletes(deps) == []


def test_a_state_works_once(client, sandbox, control, deps, backfills):
    athlete_id = control("POST", "/sandbox/athletes", json={})["athlete_id"]
    path = authorize_redirect(client, sandbox, athlete_id)
    assert client.get(path).status_code == 303
    client.post("/signout", data={"csrf_token": _token(client)})

    assert client.get(path).status_code == 400


def test_a_state_from_another_browser_is_refused(app, client, sandbox, control, deps):
    athlete_id = control("POST", "/sandbox/athletes", json={})["athlete_id"]
    path = authorize_redirect(client, sandbox, athlete_id)

    other = app.test_client()
    other.get("/connect")  # a state of its own
    assert other.get(path).status_code == 400
    assert athletes(deps) == []


def test_cancel_on_strava_is_explained(client, sandbox, deps):
    client.get("/connect")
    with client.session_transaction() as session:
        state = session["oauth_state"]

    response = client.get(f"/connect/callback?state={state}&error=access_denied")

    assert response.status_code == 200
    assert "cancelled" in response.get_data(as_text=True)
    assert athletes(deps) == []


def test_no_code_is_a_bad_request(client, deps):
    client.get("/connect")
    with client.session_transaction() as session:
        state = session["oauth_state"]
    assert client.get(f"/connect/callback?state={state}").status_code == 400
    assert athletes(deps) == []


def test_a_code_strava_refuses_gives_a_page_without_the_code(client, deps, caplog):
    client.get("/connect")
    with client.session_transaction() as session:
        state = session["oauth_state"]

    response = client.get(f"/connect/callback?state={state}&code=not-a-real-code")

    assert response.status_code == 400
    assert "Connect again" in response.get_data(as_text=True)
    assert "not-a-real-code" not in response.get_data(as_text=True)
    assert "not-a-real-code" not in caplog.text
    assert athletes(deps) == []
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_without_write_access_nothing_is_stored_and_reconnect_is_offered(
    client, sandbox, control, deps, backfills
):
    athlete_id = control("POST", "/sandbox/athletes", json={})["athlete_id"]
    path = authorize_redirect(client, sandbox, athlete_id, scope="read,activity:read_all")

    response = client.get(path)

    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "activity:write" in page
    assert 'href="/connect"' in page
    assert athletes(deps) == []
    assert backfills == []
    with client.session_transaction() as session:
        assert "athlete_id" not in session


def test_reconnecting_keeps_the_settings(client, sandbox, control, deps, backfills):
    athlete_id = connect(client, sandbox, control)
    with deps.session_factory() as session:
        session.get(Athlete, athlete_id).equipment = "band"
        session.commit()

    assert client.get(authorize_redirect(client, sandbox, athlete_id)).status_code == 303

    (stored,) = athletes(deps)
    assert stored.equipment == "band"
    assert backfills == [athlete_id, athlete_id]


def test_secret_key_is_required_outside_the_embedded_default(app_settings):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(dataclasses.replace(app_settings, secret_key=None))
    embedded = create_app(dataclasses.replace(app_settings, secret_key=None, embedded=True))
    embedded.extensions["postrun.engine"].dispose()


def test_a_token_key_is_required(app_settings):
    with pytest.raises(ConfigError, match="POSTRUN_TOKEN_KEY"):
        create_app(dataclasses.replace(app_settings, token_key=None))
    with pytest.raises(ConfigError, match="Fernet"):
        create_app(dataclasses.replace(app_settings, token_key="not-a-key"))


def _token(client):
    from tests.web.conftest import csrf_token

    return csrf_token(client)
