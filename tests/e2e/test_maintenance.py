"""Beat's self-healing jobs against the live stack: the subscription and the reconcile."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from service.ops import maintenance
from service.pipeline.description import MARKER
from service.storage.models import Activity
from service.storage.models import Athlete
from service.strava.payloads import Tokens
from tests.e2e.conftest import run_payload

pytestmark = pytest.mark.e2e


@pytest.fixture
def deps(stack):
    """The stack's handlers, with the public URL a deployment would configure."""
    settings = dataclasses.replace(stack.deps.settings, public_url=stack.web_url)
    return dataclasses.replace(stack.deps, settings=settings)


def subscriptions(deps):
    return deps.strava.list_subscriptions()


def test_a_healthy_subscription_is_left_alone(deps):
    before = subscriptions(deps)

    assert maintenance.ensure_subscription(deps).startswith("ok")
    assert subscriptions(deps) == before


def test_a_missing_subscription_is_recreated_and_events_flow_again(stack, deps, athlete):
    for item in subscriptions(deps):
        deps.strava.delete_subscription(int(item["id"]))

    assert maintenance.ensure_subscription(deps).startswith("re-created")
    [item] = subscriptions(deps)
    assert item["callback_url"] == f"{stack.web_url}/webhooks/strava"

    created = stack.upload(athlete, run_payload())
    stack.wait_idle()
    assert MARKER in stack.activity(created["id"])["description"]


def test_the_reconcile_finds_runs_whose_webhook_never_came(stack, deps, athlete):
    # Only runs started after connecting are the reconcile's business: connect "yesterday".
    with deps.session_factory() as session:
        row = session.get(Athlete, athlete)
        row.created_at -= timedelta(days=1)
        session.commit()
    for item in subscriptions(deps):
        deps.strava.delete_subscription(int(item["id"]))
    missed = stack.upload(athlete, run_payload(description="No webhook for me"))
    ride = stack.upload(athlete, run_payload(sport_type="Ride", type="Ride"))
    maintenance.ensure_subscription(deps)

    first = maintenance.reconcile(deps)
    again = maintenance.reconcile(deps)
    for event_id in first:
        deps.enqueue(event_id)
    stack.wait_idle()

    assert len(first) == 1
    assert again == []
    described = stack.activity(missed["id"])["description"]
    assert described.startswith("No webhook for me\n\n")
    assert MARKER in described
    assert MARKER not in (stack.activity(ride["id"])["description"] or "")


def test_the_reconcile_brings_a_run_marked_as_a_race_or_cropped_up_to_date(stack, deps, athlete):
    with deps.session_factory() as session:
        session.get(Athlete, athlete).created_at -= timedelta(days=1)
        session.commit()
    created = stack.upload(athlete, run_payload(description="Parkrun!"))
    stack.wait_idle()
    described = stack.activity(created["id"])["description"]
    assert MARKER in described
    # Marked as a race and cropped on the phone: Strava sends no event for either.
    edits = {"workout_type": 1, "distance": 5000.0, "moving_time": 1260}
    stack.sandbox("PATCH", f"/sandbox/activities/{created['id']}", json=edits)
    stack.wait_idle()

    assert maintenance.reconcile(deps) == []
    with deps.session_factory() as session:
        row = session.get(Activity, created["id"])
        assert (row.workout_type, row.distance_m, row.moving_time_s) == (1, 5000.0, 1260)
    # The note already written stays as it was.
    assert stack.activity(created["id"])["description"] == described

    # The race mark taken off again is followed too.
    stack.sandbox("PATCH", f"/sandbox/activities/{created['id']}", json={"workout_type": 0})
    stack.wait_idle()
    assert maintenance.reconcile(deps) == []
    with deps.session_factory() as session:
        assert session.get(Activity, created["id"]).workout_type == 0


def test_an_athlete_who_revoked_access_unnoticed_does_not_stop_the_reconcile(stack, deps):
    gone = stack.connect_athlete(firstname="Gone")
    later = stack.connect_athlete(firstname="Later")  # after the one who left, in the loop
    with deps.session_factory() as session:
        for athlete_id in (gone, later):
            session.get(Athlete, athlete_id).created_at -= timedelta(days=1)
        session.commit()
        row = session.get(Athlete, gone)
        tokens = Tokens(row.access_token, row.refresh_token, row.expires_at)
    # The deauthorization never reaches postrun: no subscription while it happens.
    for item in subscriptions(deps):
        deps.strava.delete_subscription(int(item["id"]))
    deps.strava.deauthorize(tokens)
    missed = stack.upload(later, run_payload(description="Nobody told postrun"))
    maintenance.ensure_subscription(deps)

    created = maintenance.reconcile(deps)
    for event_id in created:
        deps.enqueue(event_id)
    stack.wait_idle()

    assert len(created) == 1
    assert MARKER in stack.activity(missed["id"])["description"]
    with deps.session_factory() as session:
        assert session.get(Athlete, gone).needs_reauth
        assert not session.get(Athlete, later).needs_reauth


def test_subscription_commands_against_the_sandbox(stack):
    """`postrun unsubscribe`, `subscriptions` and `subscribe`, as an operator runs them."""
    import os
    import subprocess

    from service.local.stack import postrun_command

    env = {**os.environ, **stack._env()}

    def postrun(*args):
        done = subprocess.run(
            [*postrun_command(), *args], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    callback = f"{stack.web_url}/webhooks/strava"
    assert callback in postrun("subscriptions")

    assert "deleted subscription" in postrun("unsubscribe")
    assert postrun("subscriptions").strip() == "no subscription"

    assert f"-> {callback}" in postrun("subscribe", "--callback-url", callback)
    assert callback in postrun("subscriptions")
