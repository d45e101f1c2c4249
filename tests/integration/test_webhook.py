"""The webhook endpoint against a real SQLite database."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from service.storage.models import Event
from tests.conftest import SUBSCRIPTION_ID
from tests.conftest import VERIFY_TOKEN
from tests.fixtures import load_json

URL = "/webhooks/strava"


def event(**changes):
    base = {
        "aspect_type": "create",
        "event_time": 1725991232,
        "object_id": 12345,
        "object_type": "activity",
        "owner_id": 67890,
        "subscription_id": SUBSCRIPTION_ID,
        "updates": {},
    }
    return {**base, **changes}


def stored(deps):
    with deps.session_factory() as session:
        return list(session.scalars(sa.select(Event).order_by(Event.id)))


@pytest.fixture
def enqueued(deps):
    """Record enqueues, and prove the event was committed before each one."""
    seen = []

    def enqueue(event_id):
        with deps.session_factory() as session:  # a separate session sees only committed rows
            assert session.get(Event, event_id) is not None
        seen.append(event_id)

    deps.enqueue = enqueue
    return seen


class TestHandshake:
    def test_strava_docs_example_is_echoed(self, client):
        params = load_json("strava/webhook_subscription-validation-get-params_strava-docs.json")

        response = client.get(URL, query_string=params)

        assert response.status_code == 200
        assert response.mimetype == "application/json"
        assert response.get_json() == {"hub.challenge": params["hub.challenge"]}

    def test_wrong_token_is_refused(self, client):
        response = client.get(
            URL,
            query_string={"hub.mode": "subscribe", "hub.challenge": "x", "hub.verify_token": "no"},
        )

        assert response.status_code == 403
        assert "verify_token" in response.get_json()["error"]

    def test_missing_token_is_refused(self, client):
        response = client.get(URL, query_string={"hub.mode": "subscribe", "hub.challenge": "x"})

        assert response.status_code == 403

    @pytest.mark.parametrize(
        "params",
        [
            {"hub.challenge": "x", "hub.verify_token": VERIFY_TOKEN},
            {"hub.mode": "unsubscribe", "hub.challenge": "x", "hub.verify_token": VERIFY_TOKEN},
            {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN},
        ],
    )
    def test_malformed_handshake_is_a_400(self, client, params):
        assert client.get(URL, query_string=params).status_code == 400


class TestEvents:
    def test_valid_event_is_stored_then_enqueued(self, client, deps, enqueued):
        response = client.post(URL, json=event())

        assert response.status_code == 200
        rows = stored(deps)
        assert [(r.object_id, r.aspect_type, r.status) for r in rows] == [
            (12345, "create", "pending")
        ]
        assert enqueued == [rows[0].id]

    def test_docs_update_event_with_string_ids(self, client, deps, enqueued):
        body = load_json("strava/webhook_event_activity-update-title_strava-docs.json")
        body = {
            **body,
            "object_id": str(body["object_id"]),
            "subscription_id": str(SUBSCRIPTION_ID),
        }

        response = client.post(URL, data=json.dumps(body), content_type="application/json")

        assert response.status_code == 200
        assert stored(deps)[0].updates == {"title": "Messy"}

    def test_duplicate_delivery_is_stored_once(self, client, deps, enqueued):
        client.post(URL, json=event())
        client.post(URL, json=event(object_id="12345"))

        assert len(stored(deps)) == 1
        # Still pending, so it is handed over again in case the first enqueue was lost.
        assert len(enqueued) == 2

    def test_duplicate_of_a_finished_event_is_not_enqueued(self, client, deps, enqueued):
        client.post(URL, json=event())
        with deps.session_factory() as session:
            session.execute(sa.update(Event).values(status="done"))
            session.commit()

        response = client.post(URL, json=event())

        assert response.status_code == 200
        assert len(enqueued) == 1

    @pytest.mark.parametrize(
        "changes",
        [
            {"owner_id": 999},  # an athlete we do not know
            {"object_type": "athlete", "aspect_type": "update", "updates": {"authorized": "false"}},
        ],
    )
    def test_events_to_be_ignored_are_still_made_durable(self, client, deps, enqueued, changes):
        response = client.post(URL, json=event(**changes))

        assert response.status_code == 200
        assert len(stored(deps)) == 1

    def test_other_subscription_is_refused_like_a_malformed_body(self, client, deps, enqueued):
        response = client.post(URL, json=event(subscription_id=1))

        # The status of a malformed body: a guessed id is not told apart by a 403.
        assert response.status_code == 400
        assert response.get_json()["error"].startswith("subscription_id:")
        assert stored(deps) == []
        assert enqueued == []

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            (b"{not json", "body"),
            (b'"a string"', "body"),
            (json.dumps(event(object_id=None)).encode(), "object_id"),
            (
                json.dumps({k: v for k, v in event().items() if k != "owner_id"}).encode(),
                "owner_id",
            ),
            (json.dumps(event(event_time="soon")).encode(), "event_time"),
        ],
    )
    def test_malformed_body_is_a_400_naming_the_field(self, client, deps, enqueued, data, field):
        response = client.post(URL, data=data, content_type="application/json")

        assert response.status_code == 400
        assert response.get_json()["error"].startswith(f"{field}:")
        assert stored(deps) == []

    def test_oversized_body_is_refused(self, client, deps, enqueued):
        response = client.post(URL, json=event(updates={"title": "x" * 200}) | {"pad": "y" * 20000})

        assert response.status_code == 413
        assert stored(deps) == []

    def test_acknowledged_and_kept_when_the_broker_is_down(self, client, deps):
        # No enqueued fixture: the app's own enqueue talks to a Redis that is not
        # running (see app_settings). The committed event waits for the sweeper.
        response = client.post(URL, json=event())

        assert response.status_code == 200
        assert [r.status for r in stored(deps)] == ["pending"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=20,
)


@given(
    body=st.fixed_dictionaries(
        {},
        optional={
            "object_type": json_values | st.sampled_from(["activity", "athlete"]),
            "object_id": json_values | st.integers(1, 10**12).map(str),
            "aspect_type": json_values | st.sampled_from(["create", "update", "delete"]),
            "owner_id": json_values | st.integers(1, 10**9),
            "subscription_id": st.just(SUBSCRIPTION_ID) | json_values,
            "event_time": json_values | st.integers(1, 2**40),
            "updates": json_values,
        },
    )
)
def test_no_body_ever_gets_a_server_error(client, deps, body):
    deps.enqueue = lambda _event_id: None

    response = client.post(URL, data=json.dumps(body), content_type="application/json")

    assert response.status_code in (200, 400)
    assert response.is_json


def test_a_recreated_subscription_is_accepted_at_once(app_settings, enqueued):
    """The cached id must not turn away events after ``postrun subscribe`` made a new one."""
    import dataclasses

    from service.pipeline.intake import save_subscription_id
    from service.pipeline.subscription import SUBSCRIPTION_KEY
    from service.storage.models import AppState
    from service.web.app import create_app

    app = create_app(dataclasses.replace(app_settings, strava_subscription_id=None))
    deps = app.extensions["postrun"]
    deps.enqueue = lambda _event_id: None
    client = app.test_client()
    save_subscription_id(deps, 1)
    assert client.post(URL, json=event(subscription_id=1)).status_code == 200

    with deps.session_factory() as session:  # another process re-creates it
        session.get(AppState, SUBSCRIPTION_KEY).value = "2"
        session.commit()

    assert client.post(URL, json=event(subscription_id=2, object_id=2)).status_code == 200
    assert client.post(URL, json=event(subscription_id=1, object_id=3)).status_code == 400
    app.extensions["postrun.engine"].dispose()
