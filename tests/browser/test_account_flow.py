"""A runner in Chromium: connect through the sandbox, tune the settings, disconnect."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from service.storage.models import Activity
from service.storage.models import Athlete
from service.storage.models import Event

pytestmark = pytest.mark.e2e


def rows_about(stack, athlete_id):
    with stack.deps.session_factory() as session:
        return sum(
            session.scalar(
                sa.select(sa.func.count()).select_from(model).where(column == athlete_id)
            )
            for model, column in (
                (Athlete, Athlete.id),
                (Activity, Activity.athlete_id),
                (Event, Event.owner_id),
            )
        )


def preview_text(page):
    return page.get_by_test_id("preview").inner_text()


def test_connect_tune_and_disconnect(browser_stack, page, artifacts):
    stack = browser_stack
    callbacks = []
    page.on(
        "request",
        lambda request: callbacks.append(request.url) if "/callback?" in request.url else None,
    )

    # Connect: the start page, Strava's (sandbox) consent, back to the settings page.
    page.goto(stack.web_url)
    page.get_by_role("link", name="Connect with Strava").click()
    page.wait_for_url(re.compile(r"/settings$"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("Hi ")
    with stack.deps.session_factory() as session:
        (athlete,) = session.scalars(sa.select(Athlete).order_by(Athlete.created_at.desc()))
        athlete_id, tokens = athlete.id, (athlete.access_token, athlete.refresh_token)
    (callback,) = callbacks
    code = re.search(r"[?&]code=([^&]+)", callback).group(1)

    # The settings page: a preview of the note, the chart, no runs yet.
    metric = preview_text(page)
    assert metric.startswith("— postrun")
    assert " km" in metric
    assert page.locator("svg.chart").count() == 1
    assert "No runs in the last 12 weeks" in page.content()

    # Preview changes with the form, without saving.
    page.get_by_label("Imperial").check()
    page.get_by_role("button", name="Preview").click()
    imperial = preview_text(page)
    assert " mi" in imperial
    assert imperial != metric
    assert "Not saved yet" in page.content()
    page.get_by_label("Include the weekly-volume advice").uncheck()
    page.get_by_role("button", name="Preview").click()
    assert "This week:" not in preview_text(page)
    with stack.deps.session_factory() as session:
        assert session.get(Athlete, athlete_id).units == "strava"

    # Save.
    page.get_by_label("Resistance band").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/settings"))
    assert "Saved." in page.content()
    with stack.deps.session_factory() as session:
        saved = session.get(Athlete, athlete_id)
        assert (saved.units, saved.equipment, saved.include_volume) == ("imperial", "band", False)
    page.screenshot(path=str(artifacts / "settings-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1100, "height": 900})
    page.screenshot(path=str(artifacts / "settings.png"), full_page=True)

    # Nothing secret in the page or the logs of the web app and the worker.
    html = page.content()
    for secret in (*tokens, code):
        assert secret not in html
    stack.wait_idle()  # the backfill has run too
    log = stack.log_path.read_text(errors="replace")
    for secret in (*tokens, code):
        assert secret not in log
    assert "/connect/callback" in log  # the request was logged, without its query

    # Disconnect: revoked on Strava, every row gone, a confirmation shown.
    page.get_by_role("link", name="Disconnect and delete my data…").click()
    page.get_by_label("Yes, delete everything postrun holds about me").check()
    page.get_by_role("button", name="Disconnect and delete my data").click()
    page.wait_for_url(re.compile(r"/disconnected$"))
    assert "You are disconnected" in page.content()
    stack.wait_idle()  # Strava's deauthorization webhook comes back too
    assert rows_about(stack, athlete_id) == 0
    page.goto(f"{stack.web_url}/settings")
    assert page.get_by_role("link", name="Connect with Strava").count() == 1
