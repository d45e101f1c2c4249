"""Leaving postrun, and one athlete never reaching another's data."""

from __future__ import annotations

import pytest
import requests
import sqlalchemy as sa
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from service.storage.models import Activity
from service.storage.models import Athlete
from service.storage.models import Event
from tests.web.conftest import add_run
from tests.web.conftest import authorize_redirect
from tests.web.conftest import connect
from tests.web.conftest import csrf_token

FORM = {
    "equipment": "none",
    "level": "advanced",
    "circuits_per_week": "1",
    "units": "imperial",
    "write_mode": "preview",
    "paused": "on",
}


def add_event(deps, owner_id, object_id):
    with deps.session_factory() as session:
        session.add(
            Event(
                dedupe_key=f"{owner_id}-{object_id}",
                subscription_id=1,
                object_type="activity",
                object_id=object_id,
                aspect_type="create",
                owner_id=owner_id,
                event_time=1,
                updates={},
                status="done",
            )
        )
        session.commit()


def rows_about(deps, athlete_id):
    with deps.session_factory() as session:
        return {
            "athletes": session.scalar(
                sa.select(sa.func.count()).select_from(Athlete).where(Athlete.id == athlete_id)
            ),
            "activities": session.scalar(
                sa.select(sa.func.count())
                .select_from(Activity)
                .where(Activity.athlete_id == athlete_id)
            ),
            "events": session.scalar(
                sa.select(sa.func.count()).select_from(Event).where(Event.owner_id == athlete_id)
            ),
        }


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def two(app, client, sandbox, control, deps, backfills):
    """Athletes A (signed in on ``client``) and B (on a second client), each with data."""
    other = app.test_client()
    a = connect(client, sandbox, control, firstname="Alice")
    b = connect(other, sandbox, control, firstname="Bruno")
    for athlete_id, activity_id in ((a, 1001), (b, 2001)):
        add_run(deps, athlete_id, activity_id, name=f"secret run of {athlete_id}")
        add_event(deps, athlete_id, activity_id)
    return a, b, other


def confirmed(client):
    """The confirmation page's form, ticked."""
    return {"csrf_token": csrf_token(client, "/disconnect"), "confirm": "yes"}


class TestDisconnect:
    def test_deauthorizes_on_strava_and_deletes_every_row(
        self, client, deps, control, sandbox, two
    ):
        a, b, _ = two
        with deps.session_factory() as session:
            token = session.get(Athlete, a).access_token
        assert rows_about(deps, a) == {"athletes": 1, "activities": 1, "events": 1}

        response = client.post("/disconnect", data=confirmed(client))

        assert response.status_code == 303
        assert response.headers["Location"].endswith("/disconnected")
        page = client.get("/disconnected").get_data(as_text=True)
        assert "access to your Strava account is revoked" in page
        assert rows_about(deps, a) == {"athletes": 0, "activities": 0, "events": 0}
        assert rows_about(deps, b) == {"athletes": 1, "activities": 1, "events": 1}
        revoked = requests.get(f"{sandbox.url}/api/v3/athlete", headers=bearer(token), timeout=5)
        assert revoked.status_code == 401
        assert client.get("/settings").status_code == 302

    def test_deletes_locally_when_strava_cannot_be_reached(self, client, deps, control, two):
        a, b, _ = two
        control(
            "POST",
            "/sandbox/faults",
            json={
                "fail_next": [
                    {"path_prefix": prefix, "status": 503, "count": 9}
                    for prefix in ("/oauth/deauthorize", "/api/v3/oauth/deauthorize")
                ]
            },
        )

        client.post("/disconnect", data=confirmed(client))

        assert rows_about(deps, a) == {"athletes": 0, "activities": 0, "events": 0}
        assert "strava.com/settings/apps" in client.get("/disconnected").get_data(as_text=True)
        assert rows_about(deps, b)["athletes"] == 1

    def test_a_revoked_token_still_disconnects(self, client, deps, control, sandbox, two):
        a, _, _ = two
        with deps.session_factory() as session:
            token = session.get(Athlete, a).access_token
        requests.post(f"{sandbox.url}/oauth/deauthorize", headers=bearer(token), timeout=5)

        client.post("/disconnect", data=confirmed(client))

        assert rows_about(deps, a)["athletes"] == 0

    def test_needs_a_csrf_token(self, client, deps, two):
        a, _, _ = two
        assert client.post("/disconnect").status_code == 400
        assert client.post("/disconnect", data={"confirm": "yes"}).status_code == 400
        assert rows_about(deps, a)["athletes"] == 1

    def test_the_settings_page_leads_to_a_confirmation_that_changes_nothing(
        self, client, deps, two
    ):
        a, _, _ = two
        settings = client.get("/settings").get_data(as_text=True)
        assert 'href="/disconnect"' in settings
        assert 'action="/disconnect"' not in settings  # no one-tap delete on the settings page

        page = client.get("/disconnect")

        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "Yes, delete everything postrun holds about me" in text
        assert 'name="confirm" value="yes" required' in text
        assert 'name="csrf_token"' in text
        assert 'href="/settings"' in text  # a way back
        assert rows_about(deps, a) == {"athletes": 1, "activities": 1, "events": 1}

    def test_without_the_tick_nothing_is_deleted(self, client, deps, two):
        a, _, _ = two
        for data in ({}, {"confirm": "no"}, {"confirm": ""}):
            response = client.post("/disconnect", data={**data, "csrf_token": csrf_token(client)})
            assert response.status_code == 400
            assert "Nothing was deleted: tick the box" in response.get_data(as_text=True)
        assert rows_about(deps, a) == {"athletes": 1, "activities": 1, "events": 1}
        assert client.get("/settings").status_code == 200  # still signed in


class TestIsolation:
    """Signed in as A, every route is tried with B's ids; B's rows never change or show."""

    ROUTES = frozenset(
        {
            "account.connect",
            "account.callback",
            "account.settings",
            "account.save_settings",
            "account.signout",
            "account.confirm_disconnect",
            "account.disconnect",
            "account.disconnected",
        }
    )

    def test_every_account_route_is_covered_here(self, app):
        endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
        assert {e for e in endpoints if e.startswith("account.")} == self.ROUTES

    def snapshot(self, deps, athlete_id):
        with deps.session_factory() as session:
            athlete = session.get(Athlete, athlete_id)
            return (
                athlete.paused,
                athlete.equipment,
                athlete.level,
                athlete.units,
                athlete.write_mode,
                athlete.circuits_per_week,
                rows_about(deps, athlete_id),
            )

    def test_reading_routes_show_only_the_signed_in_athlete(self, client, deps, two):
        a, b, _ = two
        for path in (
            f"/settings?athlete_id={b}",
            f"/settings?id={b}&activity_id=2001",
            f"/disconnected?athlete_id={b}",
        ):
            page = client.get(path).get_data(as_text=True)
            assert "Bruno" not in page
            assert f"secret run of {b}" not in page
        page = client.get(f"/settings?athlete_id={b}").get_data(as_text=True)
        assert "Hi Alice" in page
        assert f"secret run of {a}" in page

    def test_changing_routes_touch_only_the_signed_in_athlete(self, client, deps, two):
        a, b, _ = two
        before = self.snapshot(deps, b)
        ids = {"athlete_id": str(b), "id": str(b), "owner_id": str(b)}

        saved = client.post(
            f"/settings?athlete_id={b}",
            data={**FORM, **ids, "action": "save", "csrf_token": csrf_token(client)},
        )
        assert saved.status_code == 303
        assert self.snapshot(deps, a)[1] == "none"
        assert self.snapshot(deps, b) == before

        client.post(f"/disconnect?athlete_id={b}", data={**ids, **confirmed(client)})
        assert rows_about(deps, a)["athletes"] == 0
        assert self.snapshot(deps, b) == before

    def test_b_csrf_token_does_not_work_in_a_session(self, client, deps, two):
        a, _, other = two
        token_of_b = csrf_token(other)
        response = client.post(
            "/settings", data={**FORM, "action": "save", "csrf_token": token_of_b}
        )
        assert response.status_code == 400
        assert self.snapshot(deps, a)[1] == "gym"

    def test_signing_out_and_connect_routes_do_not_reach_b(
        self, client, deps, sandbox, control, two
    ):
        a, b, other = two
        before = self.snapshot(deps, b)
        client.post(f"/signout?athlete_id={b}", data={"csrf_token": csrf_token(client)})
        assert other.get("/settings").status_code == 200  # B is still signed in
        # A connect and callback in A's browser sign in as whoever approved on Strava.
        assert client.get(authorize_redirect(client, sandbox, a)).status_code == 303
        assert "Hi Alice" in client.get("/settings").get_data(as_text=True)
        assert self.snapshot(deps, b) == before

    def test_a_session_cookie_forged_with_another_key_is_ignored(self, app, deps, two):
        _, b, _ = two
        with deps.session_factory() as session:
            since = session.get(Athlete, b).created_at.isoformat()
        forger = Flask("forger")
        forger.secret_key = "not-the-real-key"
        cookie = (
            SecureCookieSessionInterface()
            .get_signing_serializer(forger)
            .dumps({"athlete_id": b, "since": since})
        )
        intruder = app.test_client()
        intruder.set_cookie("postrun_session", cookie)
        assert intruder.get("/settings").status_code == 302

    def test_a_cookie_from_before_a_disconnect_does_not_come_back(
        self, app, client, deps, sandbox, control, two
    ):
        a, _, _ = two
        old_cookie = client.get_cookie("postrun_session").value
        client.post("/disconnect", data=confirmed(client))
        fresh = app.test_client()
        connect_again = authorize_redirect(fresh, sandbox, a)
        assert fresh.get(connect_again).status_code == 303

        replay = app.test_client()
        replay.set_cookie("postrun_session", old_cookie)
        assert replay.get("/settings").status_code == 302
