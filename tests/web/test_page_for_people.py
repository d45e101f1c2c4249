"""The settings page as a runner reads it (issue #15): units, zone, old runs, Save, errors."""

from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime

import pytest

from service.pipeline.history import run_history
from service.storage.models import Athlete
from tests.web.conftest import add_run
from tests.web.conftest import connect
from tests.web.conftest import csrf_token
from tests.web.test_settings import post
from tests.web.test_settings import preview_of


@pytest.fixture
def athlete(client, sandbox, control, backfills):
    return connect(client, sandbox, control, firstname="Kip", measurement_preference="meters")


def update(deps, athlete_id, **fields):
    with deps.session_factory() as session:
        athlete = session.get(Athlete, athlete_id)
        for name, value in fields.items():
            setattr(athlete, name, value)
        session.commit()


def svg_of(page):
    return page.split("<svg", 1)[1].split("</svg>", 1)[0]


def test_imperial_athletes_see_miles_everywhere(client, athlete, deps):
    update(deps, athlete, units="imperial")
    page = client.get("/settings").get_data(as_text=True)

    assert "a first 5.0 mi run" in page  # the example run, in the athlete's units
    assert " km" not in page
    assert "mi per week" in svg_of(page)
    add_run(deps, athlete, 1501, days_ago=1, distance_m=8046.72)
    page = client.get("/settings").get_data(as_text=True)
    assert "5.0 mi" in page.split("<h2>Recent runs</h2>", 1)[1]
    assert " km" not in page


def test_a_preview_in_other_units_shows_the_whole_page_in_them(client, athlete, deps):
    add_run(deps, athlete, 1601, days_ago=1, distance_m=10_000)
    response = post(client, action="preview", units="imperial")
    page = response.get_data(as_text=True)

    assert " mi" in preview_of(response)
    assert "mi per week" in svg_of(page)
    assert "6.2 mi" in page.split("<h2>Recent runs</h2>", 1)[1]
    assert " km" not in page


@pytest.mark.parametrize(
    ("zone", "caption"),
    [("Europe/Paris", "weeks start Monday, Europe/Paris time"), (None, "weeks start Monday, UTC")],
)
def test_the_chart_caption_names_the_athletes_zone(client, athlete, deps, zone, caption):
    update(deps, athlete, timezone=zone)
    page = client.get("/settings").get_data(as_text=True)
    svg = svg_of(page)

    assert caption in svg
    if zone:
        assert "UTC" not in svg
        assert f"on {zone} time" in page


def test_old_runs_are_listed_apart_and_set_neither_the_note_nor_the_range(client, athlete, deps):
    fresh = client.get("/settings").get_data(as_text=True)
    add_run(
        deps,
        athlete,
        -77,
        days_ago=2833,
        distance_m=100.0,
        source="file",
        status="imported",
        file_name="2019.gpx",
        name="2019.gpx",
    )
    page = client.get("/settings").get_data(as_text=True)

    assert "An example: the note a first 8.0 km run would get" in page
    assert preview_of(client.get("/settings")) == preview_of_page(fresh)
    assert "days off" not in page
    assert "about 0.1 km" not in page
    assert band_of(page) == band_of(fresh)
    assert "No runs in the last 12 weeks" in page
    older = page.split('data-testid="old-runs"', 1)[1].split("</ul>", 1)[0]
    assert "2019.gpx" in older
    assert "older than 12 weeks" in older
    assert re.search(r"\d\d \w\w\w 20\d\d", older)  # with its year

    add_run(deps, athlete, 1701, days_ago=1, distance_m=9000)
    with deps.session_factory() as session:  # what the worker hands the coaching engine
        history = run_history(session, athlete, datetime.now(UTC))
    assert [run.id for run in history] == ["1701"]
    page = client.get("/settings").get_data(as_text=True)
    assert "The note your latest run would get" in page
    history = page.split("<h2>Recent runs</h2>", 1)[1].split("</table>", 1)[0]
    assert "Run 1701" in history
    assert "2019.gpx" not in history


def preview_of_page(page):
    return page.split('data-testid="preview">', 1)[1].split("</pre>", 1)[0]


def band_of(page):
    return page.split('data-testid="band">', 1)[1].split("</p>", 1)[0]


def test_save_lands_on_the_confirmation_by_the_button(client, athlete):
    page = client.get("/settings").get_data(as_text=True)
    assert 'action="/settings"' in page  # Save: no jump to the preview
    assert 'formaction="/settings#preview"' in page  # Preview: straight to it

    response = post(client, equipment="band")

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/settings#saved")
    page = client.get("/settings").get_data(as_text=True)
    notice = re.search(r'<p class="notice" id="saved" role="status"[^>]*>([^<]+)</p>', page)
    assert notice
    assert notice.group(1).startswith("Saved.")
    # Right after the buttons, inside the form: where the eye is.
    form = page.split('action="/settings"', 1)[1].split("</form>", 1)[0]
    assert 'id="saved"' in form.split('value="preview"', 1)[1]
    assert 'id="saved"' not in client.get("/settings").get_data(as_text=True)  # once


def test_unknown_pages_get_a_styled_404_with_a_way_home(client):
    response = client.get("/no/such/page")

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<h1>Page not found</h1>" in page
    assert 'href="/"' in page
    assert "<header>" in page  # the site's own layout
    assert "Werkzeug" not in page
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/webhooks/strava/nope", 404),
        ("PUT", "/webhooks/strava", 405),
        ("GET", "/api/v3/athlete", 404),
        ("POST", "/up", 405),
    ],
)
def test_machine_paths_keep_json_errors(client, method, path, status):
    response = client.open(path, method=method)

    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert "error" in response.get_json()
    if status == 405:
        assert "GET" in response.headers["Allow"]


def test_a_client_asking_for_json_gets_json(client):
    response = client.get("/nowhere", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json() == {"error": response.get_json()["error"]}


def test_a_crash_gets_a_styled_500_and_json_on_machine_paths(app):
    def boom():
        raise RuntimeError("secret detail")

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/webhooks/boom", "webhook_boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()

    response = client.get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong on our side" in page
    assert 'href="/"' in page
    assert "secret detail" not in page
    machine = client.get("/webhooks/boom")
    assert machine.status_code == 500
    assert machine.mimetype == "application/json"
    assert "secret detail" not in machine.get_data(as_text=True)


def test_the_start_page_shows_no_athlete_count(client, athlete):
    client.post("/signout", data={"csrf_token": csrf_token(client)})
    page = client.get("/").get_data(as_text=True)
    assert "connected;" not in page
    assert not re.search(r"\d+ athletes?\b", page)
