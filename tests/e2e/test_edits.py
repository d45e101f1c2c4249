"""The athlete's fresh edits: text typed between our read and our write is kept."""

from __future__ import annotations

import pytest

from tests.conftest import running_stack
from tests.e2e.conftest import run_payload
from tests.e2e.test_faults import assert_annotated_once

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack():
    # Always read again before writing (in production: when the first read is 2 s old).
    with running_stack("pr-edit-", settings_overrides={"reread_after_s": 0}) as running:
        yield running


def test_an_edit_made_between_our_read_and_our_write_survives(stack):
    athlete = stack.connect_athlete(firstname="Typist")
    ride = stack.upload(athlete, run_payload(sport_type="Ride", type="Ride", description="draft"))
    stack.wait_idle()
    typed = "Typed on the phone just now 📱\n\nwith a blank line and trailing spaces  "
    # The sandbox changes the description right after the worker's next read.
    stack.sandbox(
        "POST", "/sandbox/hooks", json={"activity_id": ride["id"], "set_description": typed}
    )

    stack.sandbox("PATCH", f"/sandbox/activities/{ride['id']}", json={"sport_type": "Run"})
    stack.wait_idle()

    assert_annotated_once(stack, {ride["id"]: typed})
