"""Rate-limit headers and 429s on a moving fake clock; latency, error rate and fail_next."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from stravalib import exc

from tests.sandbox.support import CLIENT_ID
from tests.sandbox.support import CLIENT_SECRET
from tests.sandbox.support import START


def usage(response):
    headers = response.headers
    return {
        name: headers[name]
        for name in (
            "X-RateLimit-Limit",
            "X-RateLimit-Usage",
            "X-ReadRateLimit-Limit",
            "X-ReadRateLimit-Usage",
        )
    }


def test_every_api_response_carries_rate_headers(control, athlete, make_client):
    created = control.activity(athlete["athlete_id"])
    auth = {"Authorization": f"Bearer {athlete['access_token']}"}
    ok = control.http.get(f"{control.base}/api/v3/activities/{created['id']}", headers=auth)
    assert usage(ok) == {
        "X-RateLimit-Limit": "200,2000",
        "X-RateLimit-Usage": "1,1",
        "X-ReadRateLimit-Limit": "100,1000",
        "X-ReadRateLimit-Usage": "1,1",
    }
    # Errors count too, and the control endpoints never do.
    missing = control.http.get(f"{control.base}/api/v3/activities/1", headers=auth)
    assert missing.status_code == 404
    assert usage(missing)["X-ReadRateLimit-Usage"] == "2,2"
    control.get("/sandbox/stats")
    put = control.http.put(
        f"{control.base}/api/v3/activities/{created['id']}",
        json={"description": "x"},
        headers=auth,
    )
    assert usage(put)["X-RateLimit-Usage"] == "3,3"
    # OAuth calls are not rate counted and carry no headers (stravalib skips them too).
    token = control.http.post(f"{control.base}/oauth/token", data={"client_id": 0})
    assert "X-RateLimit-Usage" not in token.headers


def test_429_past_the_limit_and_reset_at_the_quarter_hour(control, athlete, client, clock):
    control.post("/sandbox/faults", {"limits": {"read_15min": 3, "read_daily": 6}})
    for _ in range(3):
        client.get_athlete()
    with pytest.raises(exc.Fault) as caught:
        client.get_athlete()
    response = caught.value.response
    assert response.status_code == 429
    assert response.json() == {
        "errors": "Rate Limit Exceeded",
        "status": 429,
        "message": "Too Many Requests",
    }
    assert response.headers["X-ReadRateLimit-Limit"] == "3,6"
    assert response.headers["X-ReadRateLimit-Usage"] == "4,4"

    # START is 10:07; the next window opens at 10:15 UTC, not 15 minutes after the first call.
    clock.set(START + 8 * 60 - 1)
    with pytest.raises(exc.Fault):
        client.get_athlete()
    clock.set(START + 8 * 60)
    fresh = client.protocol.rsession.get(
        "https://www.strava.com/api/v3/athlete",
        headers={"Authorization": f"Bearer {client.access_token}"},
    )
    assert fresh.status_code == 200
    # The over-limit requests still counted toward the day: 5 so far plus this one;
    # the next one breaks the daily limit.
    assert fresh.headers["X-ReadRateLimit-Usage"] == "1,6"
    fresh.close()
    with pytest.raises(exc.Fault) as caught:
        client.get_athlete()
    assert caught.value.response.headers["X-ReadRateLimit-Usage"] == "2,7"

    # The daily window resets at 00:00 UTC (14 h later: the first token has expired).
    clock.set(START - START % 86400 + 86400)
    tomorrow = control.athlete()
    answer = control.http.get(
        f"{control.base}/api/v3/athlete",
        headers={"Authorization": f"Bearer {tomorrow['access_token']}"},
    )
    assert answer.status_code == 200
    assert answer.headers["X-ReadRateLimit-Usage"] == "1,1"
    stats = control.get("/sandbox/stats")
    assert stats["rate_limited"] == 3


@pytest.mark.parametrize("config", [{"rate_window_s": 9, "rate_day_s": 864}], indirect=True)
def test_shortened_windows_reset_on_their_own_boundaries(control, athlete, client, clock):
    """A day on a fast clock: 9 s windows in an 864 s day, Strava's limits unchanged."""
    control.post("/sandbox/faults", {"limits": {"read_15min": 2, "read_daily": 3}})
    day_start = START - START % 864 + 864  # the next short day, well within the token's life
    clock.set(day_start + 8)  # one second left in this short window
    client.get_athlete()
    client.get_athlete()
    with pytest.raises(exc.Fault) as caught:
        client.get_athlete()
    assert caught.value.response.headers["X-ReadRateLimit-Usage"] == "3,3"

    clock.set(day_start + 9)  # the next short window: the day is spent all the same
    with pytest.raises(exc.Fault) as caught:
        client.get_athlete()
    assert caught.value.response.headers["X-ReadRateLimit-Usage"] == "1,4"

    clock.set(day_start + 864)  # the next day
    answer = control.http.get(
        f"{control.base}/api/v3/athlete",
        headers={"Authorization": f"Bearer {athlete['access_token']}"},
    )
    assert answer.status_code == 200
    assert answer.headers["X-ReadRateLimit-Usage"] == "1,1"


def test_overall_limit_counts_too(control, client):
    control.post("/sandbox/faults", {"limits": {"overall_15min": 1}})
    client.get_athlete()
    with pytest.raises(exc.Fault) as caught:
        client.get_athlete()
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["X-RateLimit-Limit"] == "1,2000"


def test_error_rate_one_answers_503(control, client, config):
    control.post("/sandbox/faults", {"error_rate": 1.0})
    with pytest.raises(exc.Fault) as caught:
        client.get_athlete()
    assert caught.value.response.status_code == 503
    body = caught.value.response.json()
    assert body["message"] == "Service Unavailable"
    assert set(body["errors"][0]) == {"resource", "field", "code"}
    assert control.get("/sandbox/stats")["faults_injected"] == 1
    # The test's config object is untouched: runtime changes live in the server.
    assert config.error_rate == 0.0
    control.post("/sandbox/faults", {"error_rate": 0})
    assert client.get_athlete().firstname == "Ada"


def test_error_rate_is_seeded_and_partial(control, athlete):
    auth = {"Authorization": f"Bearer {athlete['access_token']}"}

    def statuses():
        return [
            control.http.get(f"{control.base}/api/v3/athlete", headers=auth).status_code
            for _ in range(40)
        ]

    control.post("/sandbox/faults", {"error_rate": 0.5, "seed": 3})
    first = statuses()
    assert set(first) == {200, 503}
    assert 5 < first.count(503) < 35
    control.post("/sandbox/faults", {"seed": 3})
    assert statuses() == first


def test_fail_next_is_deterministic_and_path_scoped(control, athlete, client):
    created = control.activity(athlete["athlete_id"])
    control.post(
        "/sandbox/faults",
        {"fail_next": [{"status": 500, "count": 2, "path_prefix": "/api/v3/activities"}]},
    )
    assert control.get("/sandbox/faults")["fail_next"][0]["count"] == 2
    assert client.get_athlete().id == athlete["athlete_id"]  # other path: untouched
    for _ in range(2):
        with pytest.raises(exc.Fault) as caught:
            client.get_activity(created["id"])
        assert caught.value.response.status_code == 500
    assert client.get_activity(created["id"]).id == created["id"]
    assert control.get("/sandbox/faults")["fail_next"] == []


def test_fail_next_on_oauth_token(control, athlete, make_client):
    control.post("/sandbox/faults", {"fail_next": [{"status": 502, "path_prefix": "/oauth/token"}]})
    client = make_client()
    with pytest.raises(exc.Fault) as caught:
        client.refresh_access_token(CLIENT_ID, CLIENT_SECRET, athlete["refresh_token"])
    assert caught.value.response.status_code == 502
    assert client.refresh_access_token(CLIENT_ID, CLIENT_SECRET, athlete["refresh_token"])


def test_latency_is_observed(control, client):
    control.post("/sandbox/faults", {"latency_s": 0.2})
    began = time.monotonic()
    client.get_athlete()
    assert time.monotonic() - began >= 0.2
    # Control endpoints stay fast.
    began = time.monotonic()
    control.get("/sandbox/stats")
    assert time.monotonic() - began < 0.2


def test_stats_count_by_route_template(control, athlete, client):
    created = control.activity(athlete["athlete_id"])
    control.post("/sandbox/stats/reset")
    client.get_activity(created["id"])
    client.get_activity(created["id"])
    client.update_activity(created["id"], description="d")
    list(client.get_activities())
    stats = control.get("/sandbox/stats")
    assert stats["calls"] == {
        "GET /api/v3/activities/{id}": 2,
        "GET /api/v3/athlete/activities": 1,
        "PUT /api/v3/activities/{id}": 1,
    }
    assert stats["total"] == 4
    assert control.post("/sandbox/stats/reset")["total"] == 0


def test_bad_fault_settings_are_400(control):
    control.post("/sandbox/faults", {"limits": {"weekly": 3}}, expect=400)
    control.post("/sandbox/faults", {"fail_next": [{"status": 200}]}, expect=400)


def test_concurrent_requests_are_all_counted(control, athlete):
    auth = {"Authorization": f"Bearer {athlete['access_token']}"}
    control.post("/sandbox/faults", {"limits": {"read_15min": 1000, "overall_15min": 1000}})

    def hammer(_):
        with requests.Session() as session:
            session.trust_env = False
            return [
                session.get(f"{control.base}/api/v3/athlete", headers=auth, timeout=10).status_code
                for _ in range(20)
            ]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = [s for batch in pool.map(hammer, range(8)) for s in batch]
    assert statuses == [200] * 160
    stats = control.get("/sandbox/stats")
    assert stats["calls"] == {"GET /api/v3/athlete": 160}
    last = control.http.get(f"{control.base}/api/v3/athlete", headers=auth)
    assert last.headers["X-ReadRateLimit-Usage"] == "161,161"
