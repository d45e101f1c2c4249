"""The settings page: the form, the live preview, the history and the weekly chart."""

from __future__ import annotations

import pytest

from service.storage.models import Athlete
from tests.web.conftest import add_run
from tests.web.conftest import connect
from tests.web.conftest import csrf_token

FORM = {
    "equipment": "gym",
    "level": "auto",
    "circuits_per_week": "3",
    "units": "strava",
    "write_mode": "write",
    "include_volume": "on",
}


@pytest.fixture
def athlete(client, sandbox, control, backfills):
    return connect(client, sandbox, control, firstname="Kip", measurement_preference="meters")


def stored(deps, athlete_id):
    with deps.session_factory() as session:
        return session.get(Athlete, athlete_id)


def post(client, action="save", **changes):
    data = {**FORM, "csrf_token": csrf_token(client), "action": action, **changes}
    return client.post("/settings", data={k: v for k, v in data.items() if v is not None})


def preview_of(response):
    page = response.get_data(as_text=True)
    return page.split('data-testid="preview">', 1)[1].split("</pre>", 1)[0]


def test_signed_out_visitors_are_sent_to_the_start(client):
    response = client.get("/settings")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/")
    assert client.post("/settings", data=FORM).status_code in (302, 400)


def test_the_page_shows_every_setting_a_preview_chart_and_history(client, athlete, deps):
    add_run(deps, athlete, 501, days_ago=2, written_block="— postrun\nBack circuit: done")
    for days_ago in (9, 16, 23):  # full weeks before: next week's range is known
        add_run(deps, athlete, 500 - days_ago, days_ago=days_ago)
    page = client.get("/settings").get_data(as_text=True)

    for field in (
        "paused",
        "equipment",
        "level",
        "circuits_per_week",
        "units",
        "write_mode",
        "include_volume",
    ):
        assert f'name="{field}"' in page
    assert "— postrun" in page
    assert "<svg" in page
    assert 'class="band"' in page
    assert "Run 501" in page
    assert "Note written to Strava" in page
    assert "<script" not in page


def test_saving_changes_the_athlete_and_redirects(client, athlete, deps):
    response = post(
        client,
        paused="on",
        equipment="band",
        level="advanced",
        circuits_per_week="2",
        units="imperial",
        write_mode="preview",
        include_volume=None,
    )

    assert response.status_code == 303
    saved = stored(deps, athlete)
    assert saved.paused is True
    assert (saved.equipment, saved.level, saved.circuits_per_week) == ("band", "advanced", 2)
    assert (saved.units, saved.write_mode, saved.include_volume) == ("imperial", "preview", False)
    page = client.get("/settings").get_data(as_text=True)
    assert "Saved." in page
    assert "Paused" in page


def test_preview_shows_the_new_note_without_saving(client, athlete, deps):
    add_run(deps, athlete, 601, days_ago=1, distance_m=10_000)
    before = preview_of(client.get("/settings"))

    response = post(client, action="preview", units="imperial", include_volume=None)

    assert response.status_code == 200
    after = preview_of(response)
    assert after != before
    assert "This week:" in before
    assert "This week:" not in after
    assert "Not saved yet" in response.get_data(as_text=True)
    saved = stored(deps, athlete)
    assert (saved.units, saved.include_volume) == ("strava", True)


def test_units_change_the_preview(client, athlete, deps):
    add_run(deps, athlete, 701, days_ago=1, distance_m=10_000)
    metric = preview_of(post(client, action="preview", units="metric"))
    imperial = preview_of(post(client, action="preview", units="imperial"))
    assert " km" in metric
    assert " mi" in imperial


def test_equipment_changes_the_circuit_in_the_preview(client, athlete):
    gym = preview_of(post(client, action="preview", equipment="gym"))
    band = preview_of(post(client, action="preview", equipment="band"))
    assert gym != band
    assert "band" in band.lower()


@pytest.mark.parametrize(
    "changes",
    [
        {"equipment": "kettlebell"},
        {"level": "elite"},
        {"units": "furlongs"},
        {"write_mode": "shout"},
        {"circuits_per_week": "5"},
        {"circuits_per_week": "0"},
        {"circuits_per_week": "two"},
        {"equipment": None},
    ],
)
def test_invalid_values_are_refused_and_nothing_changes(client, athlete, deps, changes):
    response = post(client, **changes)

    assert response.status_code == 400
    assert "Nothing was saved" in response.get_data(as_text=True)
    saved = stored(deps, athlete)
    assert (saved.equipment, saved.level, saved.circuits_per_week) == ("gym", "auto", 3)


def test_a_post_without_csrf_token_is_refused(client, athlete, deps):
    response = client.post("/settings", data={**FORM, "equipment": "none"})

    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert stored(deps, athlete).equipment == "gym"


def test_a_post_with_a_wrong_csrf_token_is_refused(client, athlete, deps):
    response = client.post("/settings", data={**FORM, "equipment": "none", "csrf_token": "x"})
    assert response.status_code == 400
    assert stored(deps, athlete).equipment == "gym"


def test_state_changing_routes_change_nothing_on_get(client, athlete, deps):
    response = client.get("/signout")
    assert response.status_code == 405
    assert "cannot be opened that way" in response.get_data(as_text=True)
    assert client.get("/disconnect").status_code == 200  # the confirmation page
    assert stored(deps, athlete) is not None
    assert client.get("/settings").status_code == 200


def test_history_says_why_nothing_was_written(client, athlete, deps):
    add_run(deps, athlete, 801, days_ago=3, status="imported", reason="imported")
    add_run(
        deps, athlete, 802, days_ago=2, status="skipped", reason="paused: postrun wrote nothing"
    )
    page = client.get("/settings").get_data(as_text=True)
    assert "From before you connected" in page
    assert "Paused: postrun wrote nothing" in page


def test_the_chart_counts_the_last_twelve_weeks(client, athlete, deps):
    add_run(deps, athlete, 901, days_ago=1, distance_m=12_345)
    add_run(deps, athlete, 902, days_ago=200, distance_m=99_000)  # too old for the chart
    page = client.get("/settings").get_data(as_text=True)
    svg = page.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert svg.count('class="bar"') == 12
    assert "12.3 km" in svg
    assert "99 km" not in svg


def test_pages_never_show_tokens(client, athlete, deps):
    saved = stored(deps, athlete)
    page = client.get("/settings").get_data(as_text=True)
    assert saved.access_token not in page
    assert saved.refresh_token not in page
    assert "sandbox-secret" not in page


def test_security_headers(client, athlete):
    response = client.get("/settings")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_sign_out_ends_the_session(client, athlete):
    response = client.post("/signout", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303
    assert client.get("/settings").status_code == 302


def test_the_page_explains_the_skip_tag(client, athlete):
    page = client.get("/settings").get_data(as_text=True)

    assert "<code>#nopostrun</code>" in page
    assert "title or description" in page
