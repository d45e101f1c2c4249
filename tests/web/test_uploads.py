"""Uploading GPX and FIT files on the settings page: results, limits, CSRF, isolation, dedupe."""

from __future__ import annotations

import io
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from coaching import localtime
from service.files import Limits
from service.files import read_activity
from service.pipeline.history import run_history
from service.storage.models import Activity
from service.web import chart as svg_chart
from tests.files.builders import run_gpx
from tests.web.conftest import add_run
from tests.web.conftest import connect
from tests.web.conftest import csrf_token

FIXTURES = Path(__file__).parent.parent / "files" / "fixtures"
GPX_RUN = FIXTURES / "gpx" / "stravagpx_run_hr_2015.gpx"
FIT_RUN = FIXTURES / "fit" / "garmin-fr110_run_hr_gps_2013.fit"
BOMB = (
    b'<?xml version="1.0"?>\n<!DOCTYPE gpx [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>\n'
    b"<gpx><trk><name>&b;</name></trk></gpx>"
)


@pytest.fixture
def athlete(client, sandbox, control, backfills):
    return connect(client, sandbox, control, firstname="Kip", measurement_preference="meters")


def upload(client, *files, token=True):
    data = {"files": [(io.BytesIO(content), name) for name, content in files]}
    if token:
        data["csrf_token"] = csrf_token(client)
    return client.post("/settings/upload", data=data, content_type="multipart/form-data")


def file_rows(deps, athlete_id):
    with deps.session_factory() as session:
        return list(
            session.scalars(
                sa.select(Activity)
                .where(Activity.athlete_id == athlete_id, Activity.source == "file")
                .order_by(Activity.start)
            )
        )


def uploads_table(page):
    assert 'data-testid="uploads"' in page, page
    return page.split('data-testid="uploads"', 1)[1].split("</table>", 1)[0]


def recent_run_gpx(days_ago=1.0):
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=days_ago)
    return run_gpx(start=start)


def test_good_files_are_imported_and_a_hostile_one_is_named(client, athlete, deps):
    response = upload(
        client,
        ("2015 run.gpx", GPX_RUN.read_bytes()),
        ("evil.gpx", BOMB),
        ("watch.fit", FIT_RUN.read_bytes()),
        ("yesterday.gpx", recent_run_gpx(days_ago=1)),
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    table = uploads_table(page)

    rows = table.split("<tr>")[2:]
    assert "2015 run.gpx" in rows[0]
    assert "Imported" in rows[0]
    assert "3.6 km" in rows[0]
    # Years old: added to the history, with no note from a history postrun never saw.
    assert "— postrun" not in rows[0]
    assert "no note applies to a run more than 8 weeks old" in rows[0]
    assert "days off" not in page
    assert "evil.gpx" in rows[1]
    assert "Could not be read" in rows[1]
    assert "document type declaration" in rows[1]
    assert "watch.fit" in rows[2]
    assert "Imported" in rows[2]
    assert "4.8 km" in rows[2]
    assert "yesterday.gpx" in rows[3]
    assert "— postrun" in rows[3]  # the note it would have received

    stored = file_rows(deps, athlete)
    assert [row.file_name for row in stored] == ["watch.fit", "2015 run.gpx", "yesterday.gpx"]
    assert all(row.id < 0 and row.status == "imported" for row in stored)
    # The recent-runs table lists the recent one, marked as from a file; the old ones
    # are listed apart, with their year.
    history = page.split("<h2>Recent runs</h2>", 1)[1].split("</table>", 1)[0]
    assert history.count('data-testid="from-file"') == 1
    assert "yesterday.gpx" in history
    older = page.split('data-testid="old-runs"', 1)[1].split("</ul>", 1)[0]
    assert "2015 run.gpx" in older
    assert "watch.fit" in older
    assert older.count("older than 12 weeks") == 2
    assert "<script" not in page


def test_file_names_are_escaped(client, athlete):
    page = upload(client, ('<img src=x onerror="1">.gpx', BOMB)).get_data(as_text=True)
    assert "<img src=x" not in page
    assert "&lt;img src=x" in page


def test_the_chart_counts_file_runs(client, athlete, deps):
    data = recent_run_gpx(days_ago=1)
    found = read_activity("run.gpx", data)
    monday = localtime.week_start(found.start.date())
    tip = f"Week of {monday.day} {svg_chart.MONTHS[monday.month - 1]}: "

    before = client.get("/settings").get_data(as_text=True)
    assert f"{tip}0 km" in before

    upload(client, ("run.gpx", data))
    after = client.get("/settings").get_data(as_text=True)
    assert f"{tip}{svg_chart._num(found.distance_m / 1000)} km" in after


def test_the_per_file_limit_names_the_file_and_keeps_the_others(client, app, athlete, deps):
    small = recent_run_gpx(days_ago=2)
    app.config["POSTRUN_UPLOAD_LIMITS"] = Limits(max_bytes=len(small) + 100)
    page = upload(client, ("big.gpx", small + b" " * 500), ("small.gpx", small)).get_data(
        as_text=True
    )
    table = uploads_table(page)
    big, fine = table.split("<tr>")[2:]
    assert "big.gpx" in big
    assert "too large" in big
    assert "small.gpx" in fine
    assert "Imported" in fine
    assert [row.file_name for row in file_rows(deps, athlete)] == ["small.gpx"]


def test_the_per_request_limit_refuses_the_upload_before_reading_it(client, app, athlete, deps):
    small = recent_run_gpx(days_ago=2)
    app.config["POSTRUN_UPLOAD_LIMITS"] = Limits(max_bytes=400_000, max_request_bytes=100_000)
    big = small + b" " * 200_000
    response = upload(client, ("a.gpx", big), ("b.gpx", small))
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page
    assert "larger than 98 KB in all" in page
    assert file_rows(deps, athlete) == []


def test_files_past_the_request_budget_are_skipped_by_name(client, app, athlete, deps):
    first, second = recent_run_gpx(days_ago=3), recent_run_gpx(days_ago=2)
    app.config["POSTRUN_UPLOAD_LIMITS"] = Limits(max_request_bytes=len(first) + 10)
    table = uploads_table(
        upload(client, ("first.gpx", first), ("second.gpx", second)).get_data(as_text=True)
    )
    assert "together exceed" in table.split("second.gpx", 1)[1]
    assert [row.file_name for row in file_rows(deps, athlete)] == ["first.gpx"]


def test_no_file_chosen(client, athlete):
    response = client.post(
        "/settings/upload",
        data={"csrf_token": csrf_token(client)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Choose one or more GPX or FIT files first." in response.get_data(as_text=True)


def test_csrf_is_required(client, athlete, deps):
    response = upload(client, ("run.gpx", recent_run_gpx()), token=False)
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert file_rows(deps, athlete) == []
    wrong = client.post(
        "/settings/upload",
        data={"csrf_token": "nope", "files": [(io.BytesIO(recent_run_gpx()), "run.gpx")]},
        content_type="multipart/form-data",
    )
    assert wrong.status_code == 400
    assert file_rows(deps, athlete) == []


def test_signed_out_visitors_are_refused(client, deps):
    response = client.post(
        "/settings/upload",
        data={"files": [(io.BytesIO(recent_run_gpx()), "run.gpx")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/")
    with deps.session_factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Activity)) == 0


def test_another_athlete_cannot_see_the_imports(app, client, sandbox, control, athlete, deps):
    upload(client, ("mine.gpx", recent_run_gpx()))
    other = app.test_client()
    other_id = connect(other, sandbox, control, firstname="Eliud")
    page = other.get("/settings").get_data(as_text=True)
    assert "mine.gpx" not in page
    assert 'data-testid="from-file"' not in page
    assert file_rows(deps, other_id) == []
    # The same file uploaded by the other athlete is theirs, not a duplicate of the first's.
    table = uploads_table(upload(other, ("mine.gpx", recent_run_gpx())).get_data(as_text=True))
    assert "Imported" in table
    assert len(file_rows(deps, athlete)) == len(file_rows(deps, other_id)) == 1


def test_a_file_of_a_run_already_on_strava_is_a_duplicate(client, athlete, deps):
    data = recent_run_gpx(days_ago=1)
    found = read_activity("run.gpx", data)
    add_run(deps, athlete, 5001, distance_m=found.distance_m * 1.02, name="Lunch Run")
    with deps.session_factory() as session:
        session.get(Activity, 5001).start = found.start + timedelta(seconds=45)
        session.commit()
    table = uploads_table(upload(client, ("run.gpx", data)).get_data(as_text=True))
    assert "Already in your history" in table
    assert "Lunch Run" in table
    assert file_rows(deps, athlete) == []


def test_a_strava_run_arriving_after_the_file_counts_once(client, athlete, deps):
    data = recent_run_gpx(days_ago=1)
    found = read_activity("run.gpx", data)
    monday = localtime.week_start(found.start.date())
    tip = f"Week of {monday.day} {svg_chart.MONTHS[monday.month - 1]}: "
    upload(client, ("run.gpx", data))

    # The same run reaches postrun from Strava afterwards.
    add_run(deps, athlete, 5002, distance_m=found.distance_m, name="Strava copy")
    with deps.session_factory() as session:
        session.get(Activity, 5002).start = found.start - timedelta(seconds=30)
        session.commit()
        until = found.start + timedelta(hours=1)
        assert [run.id for run in run_history(session, athlete, until)] == ["5002"]

    page = client.get("/settings").get_data(as_text=True)
    assert f"{tip}{svg_chart._num(found.distance_m / 1000)} km" in page  # counted once, not twice
    assert "The same run came from Strava too, so it counts once" in page
    assert "Strava copy" in page
