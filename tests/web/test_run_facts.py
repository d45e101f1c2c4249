"""What the pipeline stores per run for the coaching: Strava's workout_type and the circuit flag.

The circuit progresses by the sessions postrun prescribed in notes written to Strava
(docs/coaching.md#progression); races get none (docs/coaching.md#races-and-tapers).
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

from service.pipeline import backfill
from service.pipeline.events import WebhookEvent
from service.pipeline.history import as_run
from service.pipeline.history import run_history
from service.pipeline.intake import store_event
from service.pipeline.processing import process_event
from service.storage.models import Activity
from tests.conftest import SUBSCRIPTION_ID
from tests.web.conftest import connect
from tests.web.test_progress import update_athlete


def upload(control, athlete_id, hours_ago, **fields):
    start = datetime.now(UTC) - timedelta(hours=hours_ago)
    activity = {
        "name": "Run",
        "sport_type": "Run",
        "distance": 8000.0,
        "moving_time": 2700,
        "start_date": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        **fields,
    }
    return control(
        "POST", "/sandbox/activities", json={"athlete_id": athlete_id, "activity": activity}
    )


def handle(deps, athlete_id, activity_id, aspect="create", updates=None):
    """One webhook event through the pipeline, in this process."""
    event = WebhookEvent(
        "activity",
        activity_id,
        aspect,
        athlete_id,
        SUBSCRIPTION_ID,
        int(deps.clock()),
        updates or {},
    )
    event_id, _ = store_event(deps, event, deps.clock())
    return process_event(deps, event_id)


def row(deps, activity_id):
    with deps.session_factory() as session:
        found = session.get(Activity, activity_id)
        session.expunge(found)
        return found


def ready(client, sandbox, control, deps, **values):
    athlete_id = connect(client, sandbox, control)
    update_athlete(deps, athlete_id, backfill_status="done", **values)
    return athlete_id


def test_backfilled_runs_keep_their_workout_type_and_prescribed_no_circuit(
    client, sandbox, control, deps
):
    athlete_id = connect(client, sandbox, control)
    race = upload(control, athlete_id, 24 * 9, workout_type=1, distance=21100.0)
    long = upload(control, athlete_id, 24 * 5, workout_type=2, distance=18000.0)
    easy = upload(control, athlete_id, 24 * 2)

    assert backfill.backfill_athlete(deps, athlete_id) == 3

    stored = {a["id"]: row(deps, a["id"]) for a in (race, long, easy)}
    assert [(r.workout_type, r.circuit, r.status) for r in stored.values()] == [
        (1, False, "imported"),
        (2, False, "imported"),
        (None, False, "imported"),
    ]
    with deps.session_factory() as session:
        history = run_history(session, athlete_id, datetime.now(UTC))
    assert [(r.workout_type, r.circuit) for r in history] == [
        ("race", False),
        ("long", False),
        (None, False),
    ]


def test_a_written_circuit_is_stored_and_a_race_gets_none(client, sandbox, control, deps):
    athlete_id = ready(client, sandbox, control, deps)
    easy = upload(control, athlete_id, 24 * 3)
    race = upload(control, athlete_id, 1, workout_type=1, distance=10000.0)

    assert handle(deps, athlete_id, easy["id"]) == "done: annotated"
    assert handle(deps, athlete_id, race["id"]) == "done: annotated"

    assert (row(deps, easy["id"]).circuit, row(deps, easy["id"]).workout_type) == (True, None)
    assert (row(deps, race["id"]).circuit, row(deps, race["id"]).workout_type) == (False, 1)
    note = control("GET", f"/sandbox/activities/{race['id']}")["description"]
    assert "Race day: no back circuit today." in note
    assert "Back circuit, session" not in note
    with deps.session_factory() as session:
        assert as_run(session.get(Activity, race["id"])).is_race


def test_preview_mode_counts_no_session(client, sandbox, control, deps):
    """The athlete saw no note on Strava: docs/coaching.md#progression."""
    athlete_id = ready(client, sandbox, control, deps, write_mode="preview")
    first = upload(control, athlete_id, 24 * 3)
    assert handle(deps, athlete_id, first["id"]) == "done: preview only: nothing written to Strava"
    assert row(deps, first["id"]).circuit is False

    update_athlete(deps, athlete_id, write_mode="write")
    second = upload(control, athlete_id, 1)
    assert handle(deps, athlete_id, second["id"]) == "done: annotated"

    assert row(deps, second["id"]).circuit is True
    note = control("GET", f"/sandbox/activities/{second['id']}")["description"]
    assert "Back circuit, session 1:" in note


def test_a_note_taken_out_stops_counting(client, sandbox, control, deps):
    athlete_id = ready(client, sandbox, control, deps)
    created = upload(control, athlete_id, 2)
    handle(deps, athlete_id, created["id"])
    assert row(deps, created["id"]).circuit is True

    control("PATCH", f"/sandbox/activities/{created['id']}", json={"name": "Run #nopostrun"})
    outcome = handle(deps, athlete_id, created["id"], "update", {"title": "Run #nopostrun"})

    assert outcome == "done: tagged #nopostrun: our note removed"
    assert row(deps, created["id"]).circuit is False
