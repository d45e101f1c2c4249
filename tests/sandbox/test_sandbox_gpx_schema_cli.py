"""GPX uploads, response shapes against Strava's swagger, and ``python -m sandbox``."""

from __future__ import annotations

import importlib.resources
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from stravalib import model

from tests.sandbox.support import CLIENT_ID
from tests.sandbox.support import CLIENT_SECRET

FIXTURES = Path(__file__).parent / "fixtures"
RUN_GPX = FIXTURES / "garmin-connect_run_hr-cad_2017.gpx"
ROUTE_GPX = FIXTURES / "stravagpx_route_run_no-times.gpx"

# Swagger example keys that only power meters, cadence or heart-rate sensors, or a GPS
# recording with matched segments produce; a sandbox activity may lack them as a real
# phone-recorded run does.
SENSOR_KEYS = {
    "average_cadence",
    "average_temp",
    "average_watts",
    "weighted_average_watts",
    "kilojoules",
    "device_watts",
    "max_watts",
    "average_heartrate",
    "max_heartrate",
    "suffer_score",
}


def upload(control, athlete_id, path, **form):
    with path.open("rb") as handle:
        return control.http.post(
            f"{control.base}/sandbox/activities",
            data={"athlete_id": athlete_id, **form},
            files={"file": (path.name, handle, "application/gpx+xml")},
            timeout=15,
        )


def test_gpx_upload_measures_the_run(control, athlete, client, subscribed, callback):
    response = upload(control, athlete["athlete_id"], RUN_GPX, timezone="America/New_York")
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["name"] == "casual stroll"
    assert created["sport_type"] == "Run"
    assert created["start_date"] == "2017-07-29T14:46:35Z"
    assert created["start_date_local"] == "2017-07-29T10:46:35Z"
    assert created["utc_offset"] == -14400.0
    assert created["elapsed_time"] == 91 * 60 + 38
    assert 0 < created["moving_time"] <= created["elapsed_time"]
    assert created["distance"] == pytest.approx(12840, rel=0.01)
    assert created["external_id"] == RUN_GPX.name
    assert created["map"]["polyline"]
    assert len(created["start_latlng"]) == 2
    assert created["manual"] is False

    fetched = client.get_activity(created["id"])
    assert fetched.distance == pytest.approx(created["distance"])
    assert fetched.timezone.timezone().key == "America/New_York"
    control.deliveries()
    assert callback.events[0]["aspect_type"] == "create"
    assert callback.events[0]["object_id"] == created["id"]


def test_gpx_without_times_is_refused(control, athlete):
    response = upload(control, athlete["athlete_id"], ROUTE_GPX)
    assert response.status_code == 400
    assert "time" in response.json()["errors"][0]["code"]
    assert control.get("/sandbox/activities") == []


def test_gpx_form_fields_override(control, athlete):
    response = upload(control, athlete["athlete_id"], RUN_GPX, name="Renamed", description="d")
    assert response.json()["name"] == "Renamed"
    assert response.json()["description"] == "d"


def swagger_example(path, method="get"):
    swagger = json.loads(
        (
            importlib.resources.files("stravalib.tests") / "resources" / "strava_swagger.json"
        ).read_text(encoding="utf-8")
    )
    example = swagger["paths"][path][method]["responses"]["200"]["examples"]["application/json"]
    return example[0] if isinstance(example, list) else example


# Beyond key presence, each answer must load into the stravalib model the client uses.


def test_detailed_activity_matches_the_swagger(control, athlete, client):
    created = control.activity(athlete["athlete_id"])
    raw = client.protocol.get("/activities/{id}", id=created["id"])
    expected = set(swagger_example("/activities/{id}")) - SENSOR_KEYS
    assert expected - set(raw) == set()
    model.DetailedActivity.model_validate(raw)
    put = client.protocol.put("/activities/{id}", id=created["id"], body={"name": "n"})
    assert set(swagger_example("/activities/{id}", "put")) - SENSOR_KEYS - set(put) == set()


def test_summary_activity_matches_the_swagger(control, athlete, client):
    control.activity(athlete["athlete_id"])
    [raw] = client.protocol.get("/athlete/activities")
    expected = set(swagger_example("/athlete/activities")) - SENSOR_KEYS
    assert expected - set(raw) == set()
    assert "description" not in raw
    model.SummaryActivity.model_validate(raw)


def test_detailed_athlete_matches_the_swagger(client):
    raw = client.protocol.get("/athlete")
    assert set(swagger_example("/athlete")) - set(raw) == set()
    model.DetailedAthlete.model_validate(raw)
    assert raw["resource_state"] == 3


def test_python_m_sandbox_serves_until_sigterm():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--client-id",
            "77",
            "--client-secret",
            "s3cret",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=Path(__file__).parents[2],
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Strava sandbox listening on http://127.0.0.1:"), line
        url = line.split()[-1]
        with requests.Session() as session:
            session.trust_env = False
            assert session.get(f"{url}/sandbox/health", timeout=5).json() == {"ok": True}
            token = session.post(
                f"{url}/oauth/token",
                data={"client_id": 77, "client_secret": "wrong", "grant_type": "refresh_token"},
                timeout=5,
            )
            assert token.status_code == 400
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_main_is_importable_without_side_effects():
    from sandbox import cli

    parser = cli.build_parser()
    args = parser.parse_args(["--port", "0", "--latency", "0.1", "--error-rate", "0.2"])
    assert (args.port, args.latency, args.error_rate) == (0, 0.1, 0.2)


def real(name):
    """A real Strava payload shipped in sandbox/data (see its NOTICE.md)."""
    return json.loads(
        importlib.resources.files("sandbox").joinpath("data", name).read_text(encoding="utf-8")
    )


def test_oauth_and_subscription_answers_have_the_recorded_keys(control, athlete, subscribed):
    def post(path, **data):
        return control.http.post(control.base + path, data=data, timeout=5).json()

    refreshed = post(
        "/oauth/token",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        grant_type="refresh_token",
        refresh_token=athlete["refresh_token"],
    )
    assert set(refreshed) == set(real("oauth_token_refresh.json"))
    exchanged = post(
        "/oauth/token",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        grant_type="authorization_code",
        code=athlete["code"],
    )
    recorded = real("oauth_token_authorization-code.json")
    assert set(exchanged) == set(recorded) | {"scope"}
    assert set(exchanged["athlete"]) == set(recorded["athlete"])
    assert set(subscribed) == set(real("push_subscription_create_201.json"))
    listed = control.get(
        "/api/v3/push_subscriptions",
        params={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
    )
    assert set(listed[0]) == set(real("push_subscriptions_list.json")[0])
    deauth = control.http.post(
        control.base + "/api/v3/oauth/deauthorize",
        headers={"Authorization": f"Bearer {exchanged['access_token']}"},
        timeout=5,
    ).json()
    assert set(deauth) == set(real("oauth_deauthorize.json"))
