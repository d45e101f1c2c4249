"""The pages on a phone (390 × 844) and a desktop (1280 × 900), in Chromium, with screenshots.

Every table becomes cards on the phone and nothing scrolls sideways; the Save
confirmation is on screen; disconnect asks first; an unknown address gets the
site's own 404. The screenshots land in test-artifacts/ (phone-*.png, desktop-*.png).
"""

from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from service.storage.models import Athlete
from tests.files.builders import run_gpx
from tests.web.conftest import add_run

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parents[1] / "files" / "fixtures"
OLD_GPX = FIXTURES / "gpx" / "stravagpx_run_hr_2015.gpx"
OLD_FIT = FIXTURES / "fit" / "garmin-fr110_run_hr_gps_2013.fit"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
NOTE = "— postrun\nThis week: 8.0 km so far; a weekly target follows your first full week."


def connect(page, stack):
    """Sign this browser in as a new sandbox athlete; returns its id."""
    page.goto(stack.web_url)
    page.get_by_role("link", name="Connect with Strava").click()
    page.wait_for_url(re.compile(r"/settings$"))
    return newest_athlete(stack)


def newest_athlete(stack):
    with stack.deps.session_factory() as session:
        return session.scalars(sa.select(Athlete.id).order_by(Athlete.created_at.desc())).first()


def fits(page):
    """Nothing wider than the window: no sideways scrolling."""
    scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"the page is {scroll} px wide in a {inner} px window"


def box(locator):
    found = locator.bounding_box()
    assert found is not None
    return found


def shoot(page, artifacts, name, full_page=True):
    """A phone and a desktop screenshot of the page as it is, each checked for overflow."""
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        fits(page)
        page.screenshot(path=str(artifacts / f"{label}-{name}.png"), full_page=full_page)
    page.set_viewport_size(PHONE)


def test_every_table_is_cards_on_a_phone(browser_stack, page, artifacts, tmp_path):
    stack = browser_stack
    athlete_id = connect(page, stack)
    for number, days_ago in enumerate((1, 3, 6, 9), start=1):
        add_run(
            stack.deps,
            athlete_id,
            9_000_000 + athlete_id % 1000 * 10 + number,
            days_ago=days_ago,
            name=f"Lunch run with a rather long name, number {number}",
            written_block=NOTE,
        )
    recent = tmp_path / "yesterday-evening-run-from-my-old-watch.gpx"
    recent.write_bytes(run_gpx(start=datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)))

    page.set_input_files('input[name="files"]', [str(OLD_GPX), str(OLD_FIT), str(recent)])
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(re.compile(r"/settings/upload"))

    uploads = page.get_by_test_id("uploads")
    assert uploads.get_by_text("Imported").count() == 3
    assert "no note applies to a run more than 8 weeks old" in uploads.inner_text()
    # Cards: each cell takes the card's width, and says what it is.
    header = uploads.locator("thead")
    assert box(header)["width"] <= 1
    note_cell = uploads.locator("tbody tr").nth(2).locator("td").nth(3)
    assert box(note_cell)["width"] > 300
    assert "The note it would have received" in note_cell.evaluate(
        "cell => getComputedStyle(cell, '::before').content"
    )
    history = page.get_by_test_id("history")
    first_date = history.locator("td.when").first
    assert first_date.is_visible()
    assert box(first_date)["x"] + box(first_date)["width"] <= PHONE["width"]
    assert page.get_by_test_id("old-runs").get_by_text("older than 12 weeks").count() == 2
    # Each part on its own too, at the phone's scale, to look at closely.
    for name, part in (
        ("uploads-table", uploads),
        ("recent-runs", history),
        ("older-runs", page.get_by_test_id("old-runs")),
        ("chart", page.locator("svg.chart")),
    ):
        part.screenshot(path=str(artifacts / f"phone-{name}.png"))
    shoot(page, artifacts, "settings-uploads")

    page.set_viewport_size(DESKTOP)
    assert box(uploads.locator("thead"))["width"] > 600  # a table again
    assert history.locator("th", has_text="Date").is_visible()


def test_the_saved_confirmation_is_on_screen(browser_stack, page, artifacts):
    connect(page, browser_stack)
    page.get_by_label("Resistance band").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/settings#saved$"))

    notice = page.get_by_role("status")
    assert notice.inner_text().startswith("Saved.")
    top, bottom = notice.evaluate(
        "el => [el.getBoundingClientRect().top, el.getBoundingClientRect().bottom]"
    )
    assert top >= 0
    assert bottom <= PHONE["height"]
    page.screenshot(path=str(artifacts / "phone-settings-saved.png"))
    fits(page)
    shoot(page, artifacts, "settings", full_page=True)


def test_disconnect_asks_before_deleting(browser_stack, page, artifacts):
    stack = browser_stack
    athlete_id = connect(page, stack)
    page.get_by_role("link", name="Disconnect and delete my data…").click()
    page.wait_for_url(re.compile(r"/disconnect$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Disconnect from postrun?"
    shoot(page, artifacts, "disconnect-confirm")

    # Without the tick the browser does not send the form; nothing is deleted.
    page.get_by_role("button", name="Disconnect and delete my data").click()
    assert page.url.endswith("/disconnect")
    assert newest_athlete(stack) == athlete_id

    page.get_by_label("Yes, delete everything postrun holds about me").check()
    page.get_by_role("button", name="Disconnect and delete my data").click()
    page.wait_for_url(re.compile(r"/disconnected$"))
    assert "You are disconnected" in page.content()
    shoot(page, artifacts, "disconnected")


def test_unknown_pages_get_the_sites_404(browser_stack, page, artifacts):
    response = page.goto(f"{browser_stack.web_url}/no/such/page")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    shoot(page, artifacts, "404")
    page.get_by_role("link", name="Back to the start").click()
    page.wait_for_url(browser_stack.web_url + "/")
    assert page.get_by_role("link", name="Connect with Strava").count() == 1
