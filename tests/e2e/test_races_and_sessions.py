"""Races, circuit sessions and the goal race through the whole stack.

Strava's workout_type comes with the activity, the circuit flag is stored from the
notes written to Strava, and the goal race is set on the settings page; the rules are
docs/coaching.md#races-and-tapers and docs/coaching.md#progression.
"""

from __future__ import annotations

import json
import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import requests
from click.testing import CliRunner

from coaching import localtime
from service.cli.suggest import suggest
from service.pipeline.description import MARKER
from service.storage.models import Activity
from service.storage.models import Athlete
from tests.e2e.conftest import run_payload
from tests.e2e.conftest import suggest_document
from tests.web.test_settings import FORM

pytestmark = pytest.mark.e2e

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def row(stack, activity_id):
    with stack.deps.session_factory() as session:
        found = session.get(Activity, activity_id)
        session.expunge(found)
        return found


def note_of(stack, activity_id):
    return stack.activity(activity_id)["description"] or ""


def signed_in(stack, **profile):
    """A browser-like session connected to the web app through the sandbox's consent."""
    athlete_id = stack.sandbox("POST", "/sandbox/athletes", json=profile)["athlete_id"]
    browser = requests.Session()
    browser.trust_env = False
    started = browser.get(f"{stack.web_url}/connect", allow_redirects=False, timeout=10)
    assert started.status_code == 302
    consent = f"{started.headers['Location']}&{urlencode({'athlete_id': athlete_id})}"
    landed = browser.get(consent, timeout=30)
    assert landed.status_code == 200
    assert landed.url == f"{stack.web_url}/settings", landed.url
    return browser, athlete_id


def post_settings(stack, browser, **fields):
    page = browser.get(f"{stack.web_url}/settings", timeout=30).text
    token = CSRF.search(page).group(1)
    return browser.post(
        f"{stack.web_url}/settings",
        data={**FORM, "csrf_token": token, "action": "save", **fields},
        allow_redirects=False,
        timeout=30,
    )


def printed_by_suggest(stack, athlete_id, *options):
    with stack.deps.session_factory() as session:
        document = suggest_document(session, athlete_id)
    printed = CliRunner().invoke(suggest, [*options, "-"], input=json.dumps(document))
    assert printed.exit_code == 0, printed.output
    return printed.output.strip()


def test_a_race_gets_no_circuit(stack, athlete):
    created = stack.upload(
        athlete, run_payload(name="Club 10k", distance=10_000.0, moving_time=2500, workout_type=1)
    )
    stack.wait_idle()

    note = note_of(stack, created["id"])
    assert "Race day: no back circuit today." in note, note
    assert "Back circuit, session" not in note
    stored = row(stack, created["id"])
    assert (stored.workout_type, stored.circuit, stored.status) == (1, False, "annotated")


def test_sessions_count_the_circuits_the_notes_prescribed(stack, athlete):
    first = stack.upload(athlete, run_payload(days_ago=3))
    stack.wait_idle()
    second = stack.upload(athlete, run_payload())  # 72 h later: past the 48 h spacing
    stack.wait_idle()

    notes = [note_of(stack, created["id"]) for created in (first, second)]
    assert "Back circuit, session 1:" in notes[0], notes[0]
    assert "Back circuit, session 2:" in notes[1], notes[1]
    assert [row(stack, created["id"]).circuit for created in (first, second)] == [True, True]
    assert notes[1] == f"{MARKER}\n{printed_by_suggest(stack, athlete)}"


def test_a_goal_race_set_on_the_settings_page_tapers_the_week_before(stack):
    browser, athlete = signed_in(stack, firstname="Faith", measurement_preference="meters")
    stack.wait_idle()  # the eight-week import, of nothing
    # run_payload starts runs two hours back: the day of the last run, on the UTC clock
    # the athlete's runs are on (the sandbox's default zone).
    run_day = localtime.today_in(datetime.now(UTC) - timedelta(hours=2), "UTC")
    race_day = run_day + timedelta(days=7)  # next week is race week, this week the taper

    saved = post_settings(
        stack,
        browser,
        goal_race="race",
        goal_race_date=race_day.isoformat(),
        goal_race_distance="10000",
    )

    assert saved.status_code == 303
    with stack.deps.session_factory() as session:
        stored = session.get(Athlete, athlete)
        assert (stored.goal_race_date, stored.goal_race_distance_m) == (race_day, 10_000.0)
    # Three weeks of running set the level the taper cuts from.
    for days_ago in (23, 21, 19, 16, 14, 12, 9):
        stack.upload(athlete, run_payload(days_ago=days_ago, distance=10_000.0))
        stack.wait_idle()
    created = stack.upload(athlete, run_payload(distance=6000.0))
    stack.wait_idle()

    note = note_of(stack, created["id"])
    assert "taper" in note.lower(), note
    assert "build" not in note.lower()
    plan = json.loads(printed_by_suggest(stack, athlete, "--json"))["volume"]["plan"]
    assert plan == "taper"
    assert note == f"{MARKER}\n{printed_by_suggest(stack, athlete)}"
    # The settings page's preview takes the goal race too.
    page = browser.get(f"{stack.web_url}/settings", timeout=30).text
    assert "taper" in page.split('data-testid="preview">', 1)[1].split("</pre>", 1)[0].lower()
