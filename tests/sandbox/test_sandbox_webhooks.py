"""Push subscriptions (with the callback handshake) and webhook event delivery."""

from __future__ import annotations

import pytest
from stravalib import exc

from sandbox import SandboxServer
from tests.sandbox.support import CLIENT_ID
from tests.sandbox.support import CLIENT_SECRET
from tests.sandbox.support import Control


def test_create_subscription_runs_the_handshake(make_client, callback, control):
    client = make_client()
    subscription = client.create_subscription(
        CLIENT_ID, CLIENT_SECRET, callback.url, verify_token=callback.verify_token
    )
    assert subscription.id is not None
    assert subscription.callback_url == callback.url
    assert subscription.application_id == CLIENT_ID
    [handshake] = callback.handshakes
    assert handshake["hub.mode"] == "subscribe"
    assert handshake["hub.verify_token"] == callback.verify_token
    assert len(handshake["hub.challenge"]) >= 16

    listed = list(client.list_subscriptions(CLIENT_ID, CLIENT_SECRET))
    assert [s.id for s in listed] == [subscription.id]
    assert listed[0].callback_url == callback.url

    # One subscription per application.
    with pytest.raises(exc.Fault) as caught:
        client.create_subscription(CLIENT_ID, CLIENT_SECRET, callback.url, callback.verify_token)
    assert caught.value.response.status_code == 400
    assert caught.value.response.json()["errors"][0]["code"] == "already exists"

    client.delete_subscription(subscription.id, CLIENT_ID, CLIENT_SECRET)
    assert list(client.list_subscriptions(CLIENT_ID, CLIENT_SECRET)) == []
    with pytest.raises(exc.ObjectNotFound):
        client.delete_subscription(subscription.id, CLIENT_ID, CLIENT_SECRET)


def test_raw_create_answer_has_strava_shape(subscribed, callback, control):
    assert set(subscribed) == {
        "id",
        "resource_state",
        "application_id",
        "callback_url",
        "created_at",
        "updated_at",
    }
    assert subscribed["resource_state"] == 2
    assert subscribed["created_at"].endswith("000Z")
    listed = control.get(
        "/api/v3/push_subscriptions",
        params={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
    )
    assert listed[0]["created_at"] == subscribed["created_at"].split(".")[0] + "Z"


def test_callback_with_wrong_challenge_is_refused(make_client, callback):
    callback.wrong_challenge = True
    client = make_client()
    with pytest.raises(exc.Fault) as caught:
        client.create_subscription(CLIENT_ID, CLIENT_SECRET, callback.url, callback.verify_token)
    assert caught.value.response.status_code == 400
    assert list(client.list_subscriptions(CLIENT_ID, CLIENT_SECRET)) == []


def test_callback_answering_403_or_unreachable_is_refused(make_client, callback):
    client = make_client()
    with pytest.raises(exc.Fault) as caught:
        client.create_subscription(CLIENT_ID, CLIENT_SECRET, callback.url, "other-token")
    assert caught.value.response.json()["errors"][0]["code"] == (
        "GET to callback URL does not return 200"
    )
    with pytest.raises(exc.Fault):
        client.create_subscription(CLIENT_ID, CLIENT_SECRET, "http://127.0.0.1:9/x", "t")
    assert list(client.list_subscriptions(CLIENT_ID, CLIENT_SECRET)) == []


def test_wrong_app_credentials_are_401(make_client, callback):
    with pytest.raises(exc.AccessUnauthorized):
        make_client().create_subscription(CLIENT_ID, "nope", callback.url, callback.verify_token)
    with pytest.raises(exc.AccessUnauthorized):
        list(make_client().list_subscriptions(CLIENT_ID + 1, CLIENT_SECRET))


def test_events_for_create_rename_retype_privacy_delete(
    control, athlete, subscribed, callback, clock
):
    aid = athlete["athlete_id"]
    created = control.activity(aid, name="Morning Run", sport_type="Run")
    act = created["id"]
    clock.advance(60)
    path = f"/sandbox/activities/{act}"
    control.http.patch(control.base + path, json={"name": "Tempo"}, timeout=5).raise_for_status()
    control.http.patch(control.base + path, json={"type": "Walk"}, timeout=5).raise_for_status()
    control.http.patch(control.base + path, json={"private": True}, timeout=5).raise_for_status()
    control.http.patch(control.base + path, json={"private": False}, timeout=5).raise_for_status()
    control.http.patch(control.base + path, json={"description": "x"}, timeout=5).raise_for_status()
    control.http.delete(control.base + path, timeout=5).raise_for_status()
    deliveries = control.deliveries()

    def event(aspect, updates, when):
        return {
            "aspect_type": aspect,
            "event_time": when,
            "object_id": act,
            "object_type": "activity",
            "owner_id": aid,
            "subscription_id": subscribed["id"],
            "updates": updates,
        }

    later = int(clock())
    assert callback.events == [
        event("create", {}, later - 60),
        event("update", {"title": "Tempo"}, later),
        event("update", {"type": "Walk"}, later),
        event("update", {"private": "true"}, later),
        event("update", {"private": "false"}, later),
        event("delete", {}, later),
    ]
    assert [d["state"] for d in deliveries] == ["delivered"] * 6
    assert all(d["attempts"] == 1 and d["status"] == 200 for d in deliveries)
    stored = control.http.get(control.base + path, timeout=5)
    assert stored.status_code == 404


def test_patch_keeps_stored_fields_consistent(control, athlete):
    created = control.activity(athlete["athlete_id"])
    patched = control.http.patch(
        f"{control.base}/sandbox/activities/{created['id']}",
        json={"private": True, "sport_type": "TrailRun", "description": "phone edit"},
        timeout=5,
    ).json()
    assert patched["visibility"] == "only_me"
    assert patched["type"] == "Run"
    assert patched["sport_type"] == "TrailRun"
    assert patched["description"] == "phone edit"


def test_delivery_retries_until_200(control, athlete, subscribed, callback):
    callback.fail_posts = 2
    control.activity(athlete["athlete_id"])
    [delivery] = control.deliveries()
    assert delivery["state"] == "delivered"
    assert delivery["attempts"] == 3
    assert callback.post_statuses == [500, 500, 200]
    assert len(callback.events) == 1


def test_delivery_gives_up_after_three_attempts(control, athlete, subscribed, callback):
    callback.fail_posts = 5
    control.activity(athlete["athlete_id"])
    control.activity(athlete["athlete_id"])
    first, second = control.deliveries()
    assert (first["state"], first["attempts"], first["status"]) == ("failed", 3, 500)
    # Order is kept: the second event went out only after the first one was given up.
    assert (second["state"], second["attempts"]) == ("delivered", 3)
    assert callback.post_statuses == [500, 500, 500, 500, 500, 200]


def test_without_subscription_events_are_logged_undelivered(control, athlete):
    control.activity(athlete["athlete_id"])
    [delivery] = control.deliveries()
    assert delivery["state"] == "undelivered"
    assert delivery["attempts"] == 0
    assert delivery["event"]["aspect_type"] == "create"


def test_server_wait_idle_and_clean_stop(config, callback):
    with SandboxServer(config) as server:
        ctl = Control(server.url)
        ctl.post(
            "/api/v3/push_subscriptions",
            expect=201,
            data={
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "callback_url": callback.url,
                "verify_token": callback.verify_token,
            },
        )
        athlete = ctl.athlete()
        for _ in range(3):
            ctl.activity(athlete["athlete_id"])
        assert server.wait_idle(10)
        ctl.http.close()
    assert len(callback.events) == 3
    assert not server.state.webhooks._thread.is_alive()
