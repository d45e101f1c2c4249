"""OAuth in the sandbox, driven through stravalib: code exchange, refresh, expiry, deauth."""

from __future__ import annotations

from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import requests
from stravalib import Client
from stravalib import exc

from sandbox import SandboxServer
from service.strava.http import StravaSession
from tests.sandbox.support import CLIENT_ID
from tests.sandbox.support import CLIENT_SECRET
from tests.sandbox.support import Control


def test_code_exchange_returns_tokens_and_athlete_and_code_is_single_use(
    make_client, athlete, control
):
    client = make_client()
    info, summary = client.exchange_code_for_token(
        CLIENT_ID, CLIENT_SECRET, athlete["code"], return_athlete=True
    )
    assert set(info) == {"access_token", "refresh_token", "expires_at"}
    assert summary is not None
    assert summary.id == athlete["athlete_id"]
    assert summary.firstname == "Ada"
    # The new token works straight away.
    assert client.get_athlete().id == athlete["athlete_id"]

    with pytest.raises(exc.Fault) as caught:
        make_client().exchange_code_for_token(CLIENT_ID, CLIENT_SECRET, athlete["code"])
    assert caught.value.response.status_code == 400
    assert caught.value.response.json() == {
        "message": "Bad Request",
        "errors": [{"resource": "RequestToken", "field": "code", "code": "invalid"}],
    }


def test_code_exchange_raw_answer_has_strava_shape(control, athlete, clock):
    answer = control.http.post(
        control.base + "/oauth/token",
        data={
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "code": athlete["code"],
            "grant_type": "authorization_code",
        },
        timeout=5,
    ).json()
    assert answer["token_type"] == "Bearer"
    assert answer["expires_in"] == 6 * 3600
    assert answer["expires_at"] == int(clock()) + 6 * 3600
    assert answer["athlete"]["resource_state"] == 2
    assert answer["athlete"]["id"] == athlete["athlete_id"]
    assert "activity:write" in answer["scope"]


def test_wrong_client_credentials_are_refused(make_client, athlete):
    with pytest.raises(exc.Fault) as caught:
        make_client().exchange_code_for_token(999, CLIENT_SECRET, athlete["code"])
    assert caught.value.response.status_code == 400
    assert caught.value.response.json()["errors"][0] == {
        "resource": "Application",
        "field": "client_id",
        "code": "invalid",
    }
    with pytest.raises(exc.Fault):
        make_client().refresh_access_token(CLIENT_ID, "wrong", athlete["refresh_token"])


def test_refresh_rotates_refresh_token_and_kills_the_old_one(make_client, athlete, clock):
    client = make_client()
    # More than an hour left: the same access token comes back.
    same = client.refresh_access_token(CLIENT_ID, CLIENT_SECRET, athlete["refresh_token"])
    assert same["access_token"] == athlete["access_token"]
    assert same["refresh_token"] != athlete["refresh_token"]

    with pytest.raises(exc.Fault) as caught:
        client.refresh_access_token(CLIENT_ID, CLIENT_SECRET, athlete["refresh_token"])
    assert caught.value.response.status_code == 400
    assert caught.value.response.json()["errors"] == [
        {"resource": "RefreshToken", "field": "refresh_token", "code": "invalid"}
    ]

    # An hour or less left: a new access token, and the old one still works until it expires.
    clock.advance(5 * 3600)
    fresh = client.refresh_access_token(CLIENT_ID, CLIENT_SECRET, same["refresh_token"])
    assert fresh["access_token"] != athlete["access_token"]
    assert fresh["expires_at"] == int(clock()) + 6 * 3600
    assert make_client(athlete["access_token"]).get_athlete().id == athlete["athlete_id"]
    clock.advance(3601)
    with pytest.raises(exc.AccessUnauthorized):
        make_client(athlete["access_token"]).get_athlete()
    assert make_client(fresh["access_token"]).get_athlete().id == athlete["athlete_id"]


def test_expired_token_gives_401_and_stravalib_refreshes_it(make_client, control, athlete):
    control.post(f"/sandbox/athletes/{athlete['athlete_id']}/expire")
    with pytest.raises(exc.AccessUnauthorized) as caught:
        make_client(athlete["access_token"]).get_athlete()
    assert caught.value.response.status_code == 401
    assert caught.value.response.json() == {
        "message": "Authorization Error",
        "errors": [{"resource": "Athlete", "field": "access_token", "code": "invalid"}],
    }
    # With a refresh token and a past token_expires, stravalib refreshes before the call.
    client = make_client(athlete["access_token"], athlete["refresh_token"], 1)
    assert client.get_athlete().id == athlete["athlete_id"]
    assert client.access_token != athlete["access_token"]
    assert client.refresh_token != athlete["refresh_token"]


def test_negative_expires_in_creates_an_expired_token(make_client, control):
    stale = control.athlete(expires_in=-60)
    with pytest.raises(exc.AccessUnauthorized):
        make_client(stale["access_token"]).get_athlete()


def test_without_rotation_the_refresh_token_stays(config, strava_env):
    config.rotate_refresh_tokens = False
    with SandboxServer(config) as server, StravaSession(server.url) as session:
        ctl = Control(server.url)
        athlete = ctl.athlete()
        ctl.http.close()
        client = Client(requests_session=session, rate_limit_requests=False)
        for _ in range(2):
            info = client.refresh_access_token(CLIENT_ID, CLIENT_SECRET, athlete["refresh_token"])
            assert info["refresh_token"] == athlete["refresh_token"]


def test_get_athlete_is_detailed(client, control):
    feet = control.athlete(firstname="Imperial", measurement_preference="feet")
    me = client.get_athlete()
    assert me.firstname == "Ada"
    assert me.lastname == "Runner"
    assert me.measurement_preference == "meters"
    assert me.resource_state == 3
    assert client.protocol.get("/athlete")["measurement_preference"] == "meters"
    other = client.__class__(
        access_token=feet["access_token"],
        requests_session=client.protocol.rsession,
        rate_limit_requests=False,
    )
    assert other.get_athlete().measurement_preference == "feet"


def test_deauthorize_revokes_tokens_and_pushes_event(
    client, athlete, control, subscribed, callback, make_client, clock
):
    client.deauthorize()
    with pytest.raises(exc.AccessUnauthorized):
        client.get_athlete()
    with pytest.raises(exc.Fault):
        make_client().refresh_access_token(CLIENT_ID, CLIENT_SECRET, athlete["refresh_token"])
    with pytest.raises(exc.Fault):
        make_client().exchange_code_for_token(CLIENT_ID, CLIENT_SECRET, athlete["code"])
    control.deliveries()
    assert callback.events == [
        {
            "aspect_type": "update",
            "event_time": int(clock()),
            "object_id": athlete["athlete_id"],
            "object_type": "athlete",
            "owner_id": athlete["athlete_id"],
            "subscription_id": subscribed["id"],
            "updates": {"authorized": "false"},
        }
    ]


def test_deauthorize_on_the_oauth_path_with_query_token(control, athlete):
    response = control.http.post(
        control.base + "/oauth/deauthorize",
        params={"access_token": athlete["access_token"]},
        timeout=5,
    )
    assert response.status_code == 200
    assert response.json() == {"access_token": athlete["access_token"]}
    again = control.http.post(
        control.base + "/oauth/deauthorize",
        params={"access_token": athlete["access_token"]},
        timeout=5,
    )
    assert again.status_code == 401


def test_authorize_page_redirects_with_code_and_state(control, make_client):
    response = control.http.get(
        control.base + "/oauth/authorize",
        params={
            "client_id": CLIENT_ID,
            "redirect_uri": "http://127.0.0.1:9/auth/callback",
            "response_type": "code",
            "scope": "read,activity:read_all,activity:write",
            "state": "xyz",
        },
        allow_redirects=False,
        timeout=5,
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/auth/callback"
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    assert query["scope"] == ["read,activity:read_all,activity:write"]
    info = make_client().exchange_code_for_token(CLIENT_ID, CLIENT_SECRET, query["code"][0])
    assert info["access_token"]


def test_consent_page_when_auto_approve_is_off(config):
    config.auto_approve = False
    with SandboxServer(config) as server, requests.Session() as http:
        http.trust_env = False
        params = {
            "client_id": CLIENT_ID,
            "redirect_uri": "http://127.0.0.1:9/cb",
            "response_type": "code",
            "scope": "activity:read_all",
            "state": "s1",
        }
        page = http.get(f"{server.url}/oauth/authorize", params=params, timeout=5)
        assert page.status_code == 200
        assert "text/html" in page.headers["Content-Type"]
        assert "activity:read_all" in page.text
        denied = http.post(
            f"{server.url}/oauth/authorize",
            data={**params, "decision": "deny"},
            allow_redirects=False,
            timeout=5,
        )
        assert denied.status_code == 302
        query = parse_qs(urlsplit(denied.headers["Location"]).query)
        assert query == {"state": ["s1"], "error": ["access_denied"]}
        approved = http.post(
            f"{server.url}/oauth/authorize",
            data={**params, "decision": "approve"},
            allow_redirects=False,
            timeout=5,
        )
        assert "code" in parse_qs(urlsplit(approved.headers["Location"]).query)
