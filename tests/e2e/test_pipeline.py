"""The pipeline end to end: sandbox upload → webhook → Redis → Celery worker → description."""

from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from service.cli.suggest import suggest
from service.pipeline.description import MARKER
from service.pipeline.description import strip_blocks
from service.storage.models import Activity
from service.storage.models import Athlete
from service.storage.models import Event
from tests.e2e.conftest import run_payload
from tests.e2e.conftest import suggest_document

pytestmark = pytest.mark.e2e


def calls(stack, key):
    return stack.sandbox("GET", "/sandbox/stats")["calls"].get(key, 0)


def puts(stack):
    return calls(stack, "PUT /api/v3/activities/{id}")


def db(stack):
    return stack.deps.session_factory()


def event_for(stack, activity_id, aspect):
    with db(stack) as session:
        return session.scalars(
            sa.select(Event)
            .where(Event.object_id == activity_id, Event.aspect_type == aspect)
            .order_by(Event.id.desc())
        ).first()


def test_a_run_gets_the_circuit_and_keeps_the_athletes_words(stack, athlete):
    own = "Tempo day 🔥\n\nLegs heavy after the hills.  \n"
    created = stack.upload(athlete, run_payload(description=own))
    stack.wait_idle()

    stored = stack.activity(created["id"])

    text = stored["description"]
    assert text.startswith(own)
    assert strip_blocks(text) == own
    assert text.count(MARKER) == 1
    for word in ("row", "Cobra", "fly"):
        assert word in text
    assert stored["name"] == "Morning Run"
    assert stored["sport_type"] == "Run"


def test_units_follow_the_athletes_strava_preference(stack):
    athlete = stack.connect_athlete(firstname="Miles", measurement_preference="feet")
    created = stack.upload(athlete, run_payload(distance=16093.4))
    stack.wait_idle()

    assert " mi" in stack.activity(created["id"])["description"]


def test_non_runs_are_left_untouched(stack, athlete):
    before = puts(stack)
    ride = stack.upload(
        athlete, run_payload(name="Commute", sport_type="Ride", type="Ride", description="Windy")
    )
    walk = stack.upload(athlete, run_payload(name="Dog walk", sport_type="Walk", type="Walk"))
    empty = stack.upload(athlete, run_payload(name="Paused", distance=0.0))
    stack.wait_idle()

    assert stack.activity(ride["id"])["description"] == "Windy"
    assert stack.activity(walk["id"])["description"] in ("", None)
    assert stack.activity(empty["id"])["description"] in ("", None)
    assert puts(stack) == before
    assert "not a run" in event_for(stack, ride["id"], "create").outcome


def test_legacy_payload_without_sport_type_counts_as_a_run(stack, athlete):
    payload = run_payload()
    payload.pop("sport_type")
    created = stack.upload(athlete, payload)
    stack.wait_idle()

    assert MARKER in (stack.activity(created["id"])["description"] or "")


def test_duplicate_and_repeated_events_never_write_twice(stack, athlete):
    created = stack.upload(athlete, run_payload(description="Mine"))
    stack.wait_idle()
    first = stack.activity(created["id"])["description"]
    puts_before = puts(stack)
    gets_before = calls(stack, "GET /api/v3/activities/{id}")
    delivered = next(
        d["event"]
        for d in stack.sandbox("GET", "/sandbox/webhooks")["deliveries"]
        if d["event"]["object_id"] == created["id"]
    )

    # Strava retries the same body; then a privacy flip re-sends a create later on.
    for body in (delivered, delivered, {**delivered, "event_time": delivered["event_time"] + 60}):
        response = stack.http.post(f"{stack.web_url}/webhooks/strava", json=body, timeout=5)
        assert response.status_code == 200
    stack.sandbox("PATCH", f"/sandbox/activities/{created['id']}", json={"private": True})
    stack.sandbox("PATCH", f"/sandbox/activities/{created['id']}", json={"private": False})
    stack.wait_idle()

    assert stack.activity(created["id"])["description"] == first
    assert puts(stack) == puts_before
    assert calls(stack, "GET /api/v3/activities/{id}") == gets_before
    assert event_for(stack, created["id"], "create").outcome == "already annotated"


def test_retyping_moves_the_note_in_and_out(stack, athlete):
    ride = stack.upload(athlete, run_payload(sport_type="Ride", type="Ride", description="Spin"))
    stack.wait_idle()
    assert stack.activity(ride["id"])["description"] == "Spin"

    stack.sandbox("PATCH", f"/sandbox/activities/{ride['id']}", json={"sport_type": "Run"})
    stack.wait_idle()
    as_run = stack.activity(ride["id"])["description"]
    assert as_run.startswith("Spin\n\n")
    assert MARKER in as_run

    stack.sandbox("PATCH", f"/sandbox/activities/{ride['id']}", json={"sport_type": "Hike"})
    stack.wait_idle()
    assert stack.activity(ride["id"])["description"] == "Spin"


def test_a_rename_needs_no_call(stack, athlete):
    created = stack.upload(athlete, run_payload())
    stack.wait_idle()
    gets_before = calls(stack, "GET /api/v3/activities/{id}")

    stack.sandbox("PATCH", f"/sandbox/activities/{created['id']}", json={"name": "Renamed"})
    stack.wait_idle()

    assert calls(stack, "GET /api/v3/activities/{id}") == gets_before
    assert event_for(stack, created["id"], "update").status == "ignored"


def test_delete_forgets_the_activity(stack, athlete):
    created = stack.upload(athlete, run_payload())
    stack.wait_idle()
    with db(stack) as session:
        assert session.get(Activity, created["id"]) is not None

    stack.sandbox("DELETE", f"/sandbox/activities/{created['id']}")
    stack.wait_idle()

    with db(stack) as session:
        assert session.get(Activity, created["id"]) is None


def test_deauthorization_deletes_everything_about_the_athlete(stack, athlete):
    stack.upload(athlete, run_payload())
    stack.wait_idle()
    with db(stack) as session:
        token = session.get(Athlete, athlete).access_token

    revoked = stack.http.post(
        f"{stack.sandbox_url}/api/v3/oauth/deauthorize",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert revoked.status_code == 200
    stack.wait_idle()

    with db(stack) as session:
        assert session.get(Athlete, athlete) is None
        for model, column in ((Activity, Activity.athlete_id), (Event, Event.owner_id)):
            count = session.scalar(
                sa.select(sa.func.count()).select_from(model).where(column == athlete)
            )
            assert count == 0


def test_expired_token_is_refreshed_and_the_rotation_persisted(stack, athlete):
    with db(stack) as session:
        row = session.get(Athlete, athlete)
        old_refresh = row.refresh_token
        row.expires_at = int(time.time()) - 10
        session.commit()
    stack.sandbox("POST", f"/sandbox/athletes/{athlete}/expire")

    created = stack.upload(athlete, run_payload())
    stack.wait_idle()

    assert MARKER in stack.activity(created["id"])["description"]
    with db(stack) as session:
        row = session.get(Athlete, athlete)
        assert row.refresh_token != old_refresh
        assert row.expires_at > time.time() + 3600
        assert not row.needs_reauth


def test_revoked_token_marks_the_athlete_for_reconnection(stack, athlete):
    with db(stack) as session:
        row = session.get(Athlete, athlete)
        row.access_token = "revoked-token"
        row.refresh_token = "revoked-refresh-token"
        session.commit()

    created = stack.upload(athlete, run_payload(description="Keep me"))
    stack.wait_idle()

    assert stack.activity(created["id"])["description"] == "Keep me"
    with db(stack) as session:
        assert session.get(Athlete, athlete).needs_reauth
    assert "reconnect" in event_for(stack, created["id"], "create").outcome


def test_unknown_activity_and_unknown_athlete_are_ignored(stack, athlete):
    """The not-found grace counts from receipt (the event_time of 1 buys nothing): the
    stack's grace is a few seconds (tests/conftest.py), after which the event ends."""
    with db(stack) as session:
        subscription = stack.deps.subscription_id(session, fresh=True)
    bodies = [
        {
            "object_type": "activity",
            "object_id": 987654321,
            "aspect_type": "create",
            "owner_id": athlete,
            "subscription_id": subscription,
            "event_time": 1,
        },
        {
            "object_type": "activity",
            "object_id": 987654322,
            "aspect_type": "create",
            "owner_id": 4242,
            "subscription_id": subscription,
            "event_time": 1,
        },
    ]
    for body in bodies:
        assert (
            stack.http.post(f"{stack.web_url}/webhooks/strava", json=body, timeout=5).status_code
            == 200
        )
    stack.wait_idle()

    assert event_for(stack, 987654321, "create").outcome == "activity not found on Strava"
    assert event_for(stack, 987654322, "create").outcome == "unknown athlete"


def test_postrun_suggest_prints_what_the_worker_wrote(stack, athlete):
    ids = []
    runs = ((20, 8, 0), (16, 10, 0), (12, 9, 3), (9, 12, 2), (5, 10, 0), (2, 11, 0), (0, 14, 2))
    for days_ago, km, kind in runs:
        payload = run_payload(days_ago=days_ago, distance=km * 1000.0, workout_type=kind)
        created = stack.upload(athlete, payload)
        ids.append(created["id"])
        stack.wait_idle()
    with db(stack) as session:
        document = suggest_document(session, athlete)
    # The sessions count from the circuits the earlier notes prescribed.
    assert [run["circuit"] for run in document["runs"]].count(True) >= 2

    printed = CliRunner().invoke(suggest, ["-"], input=json.dumps(document))

    assert printed.exit_code == 0, printed.output
    written = stack.activity(ids[-1])["description"]
    assert written == f"{MARKER}\n{printed.output.strip()}"


def test_metrics_report_events_calls_budget_and_queues(stack, athlete):
    stack.upload(athlete, run_payload())
    stack.wait_idle()

    text = stack.http.get(f"{stack.web_url}/metrics", timeout=10).text

    assert 'postrun_events{aspect_type="create",object_type="activity",status="done"}' in text
    assert 'postrun_activities{status="annotated"}' in text
    assert 'postrun_strava_calls_total{outcome="ok"}' in text
    assert 'postrun_strava_budget_remaining{window="read 15-minute"}' in text
    assert 'postrun_queue_depth{queue="postrun"}' in text
    for secret in (stack.settings.strava_client_secret, stack.settings.secret_key):
        assert secret not in text


def test_a_tagged_run_is_left_alone(stack, athlete):
    puts_before = puts(stack)
    created = stack.upload(athlete, run_payload(name="Club race #NoPostrun", description="PB!"))
    stack.wait_idle()

    assert stack.activity(created["id"])["description"] == "PB!"
    assert puts(stack) == puts_before
    assert "left alone" in event_for(stack, created["id"], "create").outcome


def test_renaming_with_the_tag_takes_the_note_out_and_back_in(stack, athlete):
    own = "Easy one 🐢\n\n  legs fine  "
    created = stack.upload(athlete, run_payload(description=own))
    stack.wait_idle()
    assert MARKER in stack.activity(created["id"])["description"]

    stack.sandbox("PATCH", f"/sandbox/activities/{created['id']}", json={"name": "Easy #nopostrun"})
    stack.wait_idle()
    assert stack.activity(created["id"])["description"] == own

    stack.sandbox("PATCH", f"/sandbox/activities/{created['id']}", json={"name": "Easy"})
    stack.wait_idle()
    restored = stack.activity(created["id"])["description"]
    assert restored.startswith(own + "\n\n")
    assert restored.count(MARKER) == 1


def test_no_secret_reaches_the_logs(stack):
    """Runs last in this module: scans everything the stack logged so far."""
    from service.storage.models import Athlete as AthleteRow

    with db(stack) as session:
        tokens = [
            value
            for row in session.scalars(sa.select(AthleteRow))
            for value in (row.access_token, row.refresh_token)
        ]
    secrets = [
        stack.settings.strava_client_secret,
        stack.settings.secret_key,
        stack.settings.strava_verify_token,
        stack.settings.token_key,
        *tokens,
    ]
    logged = stack.log_path.read_text(errors="replace")

    assert len(tokens) >= 2
    assert "event_id=" in logged  # the worker's lines carry the ids of the work
    for secret in secrets:
        assert secret
        assert secret not in logged
