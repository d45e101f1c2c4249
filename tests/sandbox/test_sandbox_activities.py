"""Activities through stravalib: get, update, list and paging, ownership, hooks."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest
from stravalib import exc

from tests.sandbox.support import START


def test_get_activity_as_stravalib_sees_it(client, control, athlete):
    created = control.activity(
        athlete["athlete_id"],
        name="Lunch Run",
        sport_type="Run",
        distance=8012.5,
        moving_time=2400,
        elapsed_time=2500,
        start_date="2026-07-01T10:00:00Z",
        timezone="Europe/Paris",
        description="legs ok",
    )
    activity = client.get_activity(created["id"])
    assert activity.id == created["id"]
    assert activity.name == "Lunch Run"
    assert activity.sport_type.root == "Run"
    assert activity.type.root == "Run"
    assert activity.distance == pytest.approx(8012.5)
    assert activity.moving_time == 2400
    assert activity.elapsed_time == 2500
    assert activity.start_date == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    # Paris is UTC+2 in July; the label shows the standard offset, like Strava.
    assert activity.start_date_local == datetime(2026, 7, 1, 12, 0)
    assert activity.timezone == "(GMT+01:00) Europe/Paris"
    assert activity.utc_offset == 7200
    assert activity.description == "legs ok"
    assert activity.athlete.id == athlete["athlete_id"]
    assert activity.manual is False
    assert activity.trainer is False


def test_defaults_come_from_the_template(control, athlete, clock):
    created = control.activity(athlete["athlete_id"])
    assert created["sport_type"] == "Run"
    assert created["type"] == "Run"
    assert created["resource_state"] == 3
    assert created["athlete"] == {"id": athlete["athlete_id"], "resource_state": 1}
    # A just-finished run: it ended "now".
    ended = datetime.fromisoformat(created["start_date"].replace("Z", "+00:00")).timestamp()
    assert ended + created["elapsed_time"] == int(clock())
    assert created["name"] == "Morning Run"
    assert created["timezone"] == "(GMT+00:00) UTC"
    assert created["map"]["id"] == f"a{created['id']}"
    assert created["segment_efforts"] == []


def test_trail_run_keeps_legacy_type(control, athlete):
    created = control.activity(athlete["athlete_id"], sport_type="TrailRun")
    assert created["sport_type"] == "TrailRun"
    assert created["type"] == "Run"


def test_update_description_then_read_back(client, control, athlete, subscribed, callback):
    created = control.activity(athlete["athlete_id"], description="my notes")
    control.deliveries()
    callback.events.clear()

    updated = client.update_activity(created["id"], description="my notes\n\nBack circuit: ...")
    assert updated.description == "my notes\n\nBack circuit: ..."
    assert client.get_activity(created["id"]).description == "my notes\n\nBack circuit: ..."
    stored = control.get(f"/sandbox/activities/{created['id']}")
    assert stored["description"] == "my notes\n\nBack circuit: ..."
    # A description-only change fires no webhook.
    assert [d["event"]["aspect_type"] for d in control.deliveries()] == ["create"]
    assert callback.events == []


def test_update_name_and_type_fire_one_update_event(client, control, athlete, subscribed, callback):
    created = control.activity(athlete["athlete_id"], name="Run", sport_type="Run")
    control.deliveries()
    client.update_activity(created["id"], name="Easy run", sport_type="TrailRun")
    # private is not an UpdatableActivity field (stravalib drops it): the sandbox ignores it.
    response = control.http.put(
        f"{control.base}/api/v3/activities/{created['id']}",
        json={"private": True},
        headers={"Authorization": f"Bearer {athlete['access_token']}"},
        timeout=5,
    )
    assert response.status_code == 200
    control.deliveries()
    assert callback.events[-1]["aspect_type"] == "update"
    assert callback.events[-1]["updates"] == {"title": "Easy run", "type": "TrailRun"}
    stored = control.get(f"/sandbox/activities/{created['id']}")
    assert stored["type"] == "Run"
    assert stored["private"] is False
    assert len(callback.events) == 2


def test_put_accepts_form_bodies_and_ignores_unknown_fields(control, athlete):
    created = control.activity(athlete["athlete_id"])
    response = control.http.put(
        f"{control.base}/api/v3/activities/{created['id']}",
        data={"description": "from a form", "trainer": "true", "calories": "9999"},
        headers={"Authorization": f"Bearer {athlete['access_token']}"},
        timeout=5,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["description"] == "from a form"
    assert body["trainer"] is True
    assert body["calories"] == 0.0


def test_query_string_token_is_accepted(control, athlete):
    created = control.activity(athlete["athlete_id"])
    response = control.http.get(
        f"{control.base}/api/v3/activities/{created['id']}",
        params={"access_token": athlete["access_token"], "include_all_efforts": "False"},
        timeout=5,
    )
    assert response.status_code == 200
    assert response.json()["id"] == created["id"]


def test_unknown_and_foreign_activities_are_404(client, control):
    other = control.athlete()
    theirs = control.activity(other["athlete_id"])
    for activity_id in (theirs["id"], 12345):
        with pytest.raises(exc.ObjectNotFound) as caught:
            client.get_activity(activity_id)
        assert caught.value.response.json() == {
            "message": "Record Not Found",
            "errors": [{"resource": "Activity", "field": "id", "code": "invalid"}],
        }
    with pytest.raises(exc.ObjectNotFound):
        client.update_activity(theirs["id"], description="not mine")
    assert control.get(f"/sandbox/activities/{theirs['id']}")["description"] == ""


def test_bad_token_is_401(make_client, control, athlete):
    created = control.activity(athlete["athlete_id"])
    with pytest.raises(exc.AccessUnauthorized):
        make_client("not-a-token").get_activity(created["id"])


def test_listing_pages_more_than_200_activities_newest_first(client, control, athlete):
    day = 86400
    for n in range(230):
        control.activity(athlete["athlete_id"], name=f"run {n}", start_date=START - (230 - n) * day)
    control.post("/sandbox/stats/reset")

    everything = list(client.get_activities())
    assert len(everything) == 230
    assert [a.name for a in everything[:2]] == ["run 229", "run 228"]
    assert everything[-1].name == "run 0"
    starts = [a.start_date for a in everything]
    assert starts == sorted(starts, reverse=True)
    # stravalib pages with per_page=200 and stops at the first short page.
    assert control.get("/sandbox/stats")["calls"] == {"GET /api/v3/athlete/activities": 2}

    limited = list(client.get_activities(limit=5))
    assert [a.name for a in limited] == [f"run {n}" for n in range(229, 224, -1)]

    window = list(
        client.get_activities(
            after=datetime.fromtimestamp(START - 11 * day, UTC),
            before=datetime.fromtimestamp(START - 5 * day, UTC),
        )
    )
    assert [a.name for a in window] == [f"run {n}" for n in range(224, 219, -1)]


def test_listing_raw_paging_and_summary_shape(control, athlete):
    for n in range(5):
        control.activity(athlete["athlete_id"], name=f"r{n}", start_date=START - 3600 * (5 - n))
    auth = {"Authorization": f"Bearer {athlete['access_token']}"}

    def page(**params):
        response = control.http.get(
            f"{control.base}/api/v3/athlete/activities", params=params, headers=auth, timeout=5
        )
        assert response.status_code == 200
        return response.json()

    first = page(per_page=2)
    assert [a["name"] for a in first] == ["r4", "r3"]
    assert [a["name"] for a in page(per_page=2, page=3)] == ["r0"]
    assert page(per_page=2, page=4) == []
    # per_page above 200 is clamped to 200 rather than refused.
    assert len(page(per_page=500)) == 5
    assert len(page()) == 5
    summary = first[0]
    assert summary["resource_state"] == 2
    assert "description" not in summary
    assert set(summary["map"]) == {"id", "summary_polyline", "resource_state"}


def test_hook_changes_description_right_after_a_get(client, control, athlete):
    created = control.activity(athlete["athlete_id"], description="before")
    control.post(
        "/sandbox/hooks",
        {"activity_id": created["id"], "after": "get", "set_description": "edited on phone"},
        expect=201,
    )
    assert client.get_activity(created["id"]).description == "before"
    assert client.get_activity(created["id"]).description == "edited on phone"
    assert control.get(f"/sandbox/activities/{created['id']}")["description"] == "edited on phone"


def test_control_listing_and_delete(control, athlete):
    one = control.activity(athlete["athlete_id"])
    other = control.athlete()
    control.activity(other["athlete_id"])
    listed = control.get("/sandbox/activities", params={"athlete_id": athlete["athlete_id"]})
    assert [a["id"] for a in listed] == [one["id"]]
    assert len(control.get("/sandbox/activities")) == 2
    response = control.http.delete(f"{control.base}/sandbox/activities/{one['id']}", timeout=5)
    assert response.status_code == 204
    assert (
        control.http.get(f"{control.base}/sandbox/activities/{one['id']}", timeout=5).status_code
        == 404
    )


def test_reset_clears_everything(control, athlete, make_client):
    control.activity(athlete["athlete_id"])
    control.post("/sandbox/reset")
    assert control.get("/sandbox/activities") == []
    with pytest.raises(exc.AccessUnauthorized):
        make_client(athlete["access_token"]).get_athlete()


def test_bad_control_input_is_400(control, athlete):
    control.post("/sandbox/activities", {"activity": {}}, expect=400)
    control.post(
        "/sandbox/activities",
        {"athlete_id": athlete["athlete_id"], "activity": {"timezone": "Mars/Olympus"}},
        expect=400,
    )
    control.post("/sandbox/athletes", {"measurement_preference": "cubits"}, expect=400)
    control.post("/sandbox/activities", {"athlete_id": 999, "activity": {}}, expect=404)


def test_workout_type_is_kept_from_upload_to_get_list_and_update(client, control, athlete):
    """Strava's run types (1 race, 2 long run, 3 workout) ride in Detailed and Summary
    activities; the real template has the key (null), so an upload may set it."""
    race = control.activity(athlete["athlete_id"], name="10k race", workout_type=1)
    plain = control.activity(athlete["athlete_id"], name="Easy", start_date=START - 3600)

    assert race["workout_type"] == 1
    assert plain["workout_type"] is None
    assert client.get_activity(race["id"]).workout_type == 1
    assert client.get_activity(plain["id"]).workout_type is None
    listed = {a.name: a.workout_type for a in client.get_activities()}
    assert listed == {"10k race": 1, "Easy": None}
    # A PUT of the description leaves it as it was.
    client.update_activity(race["id"], description="PB")
    assert client.get_activity(race["id"]).workout_type == 1
