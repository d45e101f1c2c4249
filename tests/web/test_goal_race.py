"""The settings page's goal race: saved, checked, cleared, and shown in the preview.

The rules it feeds are docs/coaching.md#races-and-tapers; the form is
templates/_goal_race.html, checked by service/accounts/goal.py.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest

from coaching import localtime
from service.accounts import goal
from service.storage.models import Athlete
from tests.web.conftest import add_run
from tests.web.conftest import connect
from tests.web.test_settings import FORM
from tests.web.test_settings import post
from tests.web.test_settings import preview_of
from tests.web.test_settings import stored


@pytest.fixture
def athlete(client, sandbox, control, backfills):
    return connect(client, sandbox, control, firstname="Eliud", measurement_preference="meters")


def local_today(deps, athlete_id):
    zone = stored(deps, athlete_id).effective_timezone()
    return localtime.today_in(datetime.now(UTC), zone)


def race(day, distance="42195", other=None):
    fields = {"goal_race": "race", "goal_race_date": day.isoformat()}
    fields["goal_race_distance"] = distance
    if other is not None:
        fields["goal_race_other"] = other
    return fields


def set_zone(deps, athlete_id, zone):
    with deps.session_factory() as session:
        session.get(Athlete, athlete_id).timezone = zone
        session.commit()


def errors_of(response):
    page = response.get_data(as_text=True)
    return page.split('role="alert"', 1)[1].split("</div>", 1)[0]


def test_the_form_offers_the_goal_race_with_no_race_chosen(client, athlete):
    page = client.get("/settings").get_data(as_text=True)

    assert 'data-testid="goal-race"' in page
    assert 'name="goal_race" value="none" checked' in page
    for label in ("5K", "10K", "Half marathon", "Marathon", "Other distance"):
        assert f">{label}</option>" in page
    assert 'name="goal_race_date"' in page
    assert 'name="goal_race_other"' in page


def test_a_valid_goal_race_is_saved_and_shown_back(client, athlete, deps):
    day = local_today(deps, athlete) + timedelta(days=60)

    response = post(client, **race(day, "21097.5"))

    assert response.status_code == 303
    saved = stored(deps, athlete)
    assert (saved.goal_race_date, saved.goal_race_distance_m) == (day, 21097.5)
    page = client.get("/settings").get_data(as_text=True)
    assert 'name="goal_race" value="race" checked' in page
    assert f'value="{day.isoformat()}"' in page
    assert '<option value="21097.5" selected>Half marathon</option>' in page


def test_an_other_distance_is_read_in_the_athletes_units(client, sandbox, control, deps):
    miler = connect(client, sandbox, control, firstname="Miles", measurement_preference="feet")
    day = local_today(deps, miler) + timedelta(days=30)

    assert post(client, **race(day, "other", "31.07")).status_code == 303

    metres = stored(deps, miler).goal_race_distance_m
    assert metres == pytest.approx(31.07 * 1609.344)
    page = client.get("/settings").get_data(as_text=True)
    assert 'value="31.07"' in page
    assert "> mi</label>" in page
    # Saving again unchanged keeps the metres exactly (no drift through the rounding).
    assert post(client, **race(day, "other", "31.07")).status_code == 303
    assert stored(deps, miler).goal_race_distance_m == metres


def test_the_other_figure_is_read_in_the_unit_shown_beside_it(client, athlete, deps):
    """The form names the units it printed; a units change in the same form moves nothing."""
    day = local_today(deps, athlete) + timedelta(days=30)
    page = client.get("/settings").get_data(as_text=True)
    assert 'name="goal_race_units" value="metric"' in page

    fields = {**race(day, "other", "50"), "goal_race_units": "metric"}
    assert post(client, units="imperial", **fields).status_code == 303
    assert stored(deps, athlete).goal_race_distance_m == 50_000.0

    fields = {**race(day, "other", "26.2"), "goal_race_units": "imperial"}
    assert post(client, **fields).status_code == 303
    assert stored(deps, athlete).goal_race_distance_m == pytest.approx(26.2 * 1609.344)


def test_today_counts_on_the_athletes_clock(client, athlete, deps):
    # UTC+14: for most of the UTC day, the athlete's today is UTC's tomorrow.
    set_zone(deps, athlete, "Pacific/Kiritimati")
    today = local_today(deps, athlete)

    assert post(client, **race(today - timedelta(days=1))).status_code == 400
    assert post(client, **race(today)).status_code == 303
    assert stored(deps, athlete).goal_race_date == today


@pytest.mark.parametrize(
    ("shift", "raw"),
    [(-1, None), (goal.MAX_DAYS_AHEAD + 1, None), (0, "next sunday"), (0, ""), (0, "2026-02-30")],
)
def test_an_invalid_date_saves_nothing(client, athlete, deps, shift, raw):
    day = local_today(deps, athlete) + timedelta(days=shift)
    fields = race(day)
    if raw is not None:
        fields["goal_race_date"] = raw

    response = post(client, equipment="band", **fields)

    assert response.status_code == 400
    assert "goal race:" in errors_of(response)
    assert "date" in errors_of(response)
    saved = stored(deps, athlete)
    assert (saved.goal_race_date, saved.goal_race_distance_m) == (None, None)
    assert saved.equipment == "gym"  # nothing at all was saved


def test_a_year_ahead_is_the_last_day_accepted(client, athlete, deps):
    day = local_today(deps, athlete) + timedelta(days=goal.MAX_DAYS_AHEAD)
    assert post(client, **race(day, "5000")).status_code == 303
    assert stored(deps, athlete).goal_race_distance_m == 5000.0


@pytest.mark.parametrize(
    ("distance", "other"),
    [
        ("other", "0.9"),
        ("other", "250.5"),
        ("other", "abc"),
        ("other", "nan"),
        ("other", ""),
        ("3000", None),
        ("", None),
    ],
)
def test_an_invalid_distance_saves_nothing(client, athlete, deps, distance, other):
    day = local_today(deps, athlete) + timedelta(days=20)

    response = post(client, **race(day, distance, other))

    assert response.status_code == 400
    assert "goal race: the distance must be between 1 and 250 km" in errors_of(response)
    assert stored(deps, athlete).goal_race_date is None


def test_the_limits_are_inclusive(client, athlete, deps):
    day = local_today(deps, athlete) + timedelta(days=20)
    for figure, metres in (("1", 1000.0), ("250", 250_000.0), ("100,5", 100_500.0)):
        assert post(client, **race(day, "other", figure)).status_code == 303
        assert stored(deps, athlete).goal_race_distance_m == pytest.approx(metres)


def test_no_goal_race_clears_it(client, athlete, deps):
    day = local_today(deps, athlete) + timedelta(days=40)
    post(client, **race(day, "10000"))
    assert stored(deps, athlete).goal_race_date == day

    # The date and distance still in the form do not matter once "No goal race" is picked.
    response = post(client, **{**race(day, "10000"), "goal_race": "none"})

    assert response.status_code == 303
    saved = stored(deps, athlete)
    assert (saved.goal_race_date, saved.goal_race_distance_m) == (None, None)


def test_a_race_that_has_passed_does_not_block_saving(client, athlete, deps):
    past = local_today(deps, athlete) - timedelta(days=10)
    with deps.session_factory() as session:
        row = session.get(Athlete, athlete)
        row.goal_race_date, row.goal_race_distance_m = past, 42195.0
        session.commit()
    page = client.get("/settings").get_data(as_text=True)
    assert f'min="{past.isoformat()}"' in page  # the browser lets it through too

    assert post(client, level="advanced", **race(past)).status_code == 303
    saved = stored(deps, athlete)
    assert (saved.level, saved.goal_race_date) == ("advanced", past)
    # Moving it to another past day is a new date, and refused.
    assert post(client, **race(past - timedelta(days=1))).status_code == 400


def test_an_unknown_choice_is_refused(client, athlete, deps):
    response = post(client, goal_race="maybe")
    assert response.status_code == 400
    assert "goal race: choose one of the options" in errors_of(response)


def test_the_form_without_goal_race_fields_means_none(client, athlete, deps):
    assert post(client, **FORM).status_code == 303
    assert stored(deps, athlete).goal_race_date is None


def test_the_preview_follows_the_goal_race(client, athlete, deps):
    add_run(deps, athlete, 801, days_ago=0, distance_m=6000)
    tomorrow = local_today(deps, athlete) + timedelta(days=1)
    plain = preview_of(post(client, action="preview"))

    with_race = preview_of(post(client, action="preview", **race(tomorrow, "10000")))

    assert "Back circuit" in plain
    assert "Race tomorrow: no back circuit today." in with_race
    assert "Not saved yet" in post(client, action="preview", **race(tomorrow)).get_data(
        as_text=True
    )
    assert stored(deps, athlete).goal_race_date is None
