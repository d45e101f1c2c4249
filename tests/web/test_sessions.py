"""Sessions that end: signing out or disconnecting kills every copy of the cookie.

Issue #13, item 7: a cookie copied before ``POST /signout`` kept working for 30 days.
"""

from __future__ import annotations

from service.storage.models import Athlete
from tests.web.conftest import authorize_redirect
from tests.web.conftest import connect
from tests.web.conftest import csrf_token


def copy_of(app, client):
    """A second browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("postrun_session", client.get_cookie("postrun_session").value)
    return thief


def signed_in(browser):
    return browser.get("/settings").status_code == 200


def test_a_copied_cookie_stops_working_at_sign_out(app, client, sandbox, control):
    connect(client, sandbox, control, firstname="Ada")
    thief = copy_of(app, client)
    assert signed_in(thief)

    response = client.post("/signout", data={"csrf_token": csrf_token(client)})

    assert response.status_code == 303
    assert not signed_in(client)
    assert not signed_in(thief)
    # The stale cookie is cleared, not just refused: the next answer drops it.
    assert thief.get_cookie("postrun_session") is None


def test_signing_in_again_does_not_revive_an_old_copy(app, client, sandbox, control, deps):
    athlete_id = connect(client, sandbox, control, firstname="Ada")
    thief = copy_of(app, client)
    client.post("/signout", data={"csrf_token": csrf_token(client)})

    assert client.get(authorize_redirect(client, sandbox, athlete_id)).status_code == 303

    assert signed_in(client)
    assert not signed_in(thief)
    with deps.session_factory() as db:
        assert db.get(Athlete, athlete_id).session_epoch == 1


def test_signing_out_ends_the_session_on_every_device(app, client, sandbox, control):
    athlete_id = connect(client, sandbox, control, firstname="Ada")
    phone = app.test_client()
    assert phone.get(authorize_redirect(phone, sandbox, athlete_id)).status_code == 303

    client.post("/signout", data={"csrf_token": csrf_token(client)})

    assert not signed_in(phone)


def test_a_copy_from_after_a_sign_out_dies_with_a_disconnect_and_stays_dead(
    app, client, sandbox, control
):
    athlete_id = connect(client, sandbox, control, firstname="Ada")
    client.post("/signout", data={"csrf_token": csrf_token(client)})
    client.get(authorize_redirect(client, sandbox, athlete_id))
    thief = copy_of(app, client)  # epoch 1, the athlete's current one
    assert signed_in(thief)

    client.post("/disconnect", data={"csrf_token": csrf_token(client), "confirm": "yes"})
    assert not signed_in(thief)
    fresh = app.test_client()
    assert fresh.get(authorize_redirect(fresh, sandbox, athlete_id)).status_code == 303
    # The new row starts at epoch 0 again, but it is a new generation (created_at).
    fresh.post("/signout", data={"csrf_token": csrf_token(fresh)})
    fresh.get(authorize_redirect(fresh, sandbox, athlete_id))

    assert signed_in(fresh)
    assert not signed_in(thief)
