"""One real stack per session: redis-server, the Strava sandbox, gunicorn and a Celery worker.

Each test connects its own sandbox athlete, so tests do not see each other's runs.
Everything is started on free ports and unix sockets, waited for by readiness
checks, and stopped at the end of the session.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from service.storage.models import Activity
from service.storage.models import Athlete
from tests.conftest import running_stack


@pytest.fixture(scope="session")
def stack():
    with running_stack("postrun-e2e-") as running:
        yield running


@pytest.fixture
def short_dir():
    """A temporary folder with a short path, as unix sockets need; removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="pr-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def athlete(stack):
    return stack.connect_athlete(firstname="Test", measurement_preference="meters")


def run_payload(days_ago: float = 0.0, **fields):
    start = datetime.now(UTC) - timedelta(days=days_ago, hours=2)
    base = {
        "name": "Morning Run",
        "sport_type": "Run",
        "type": "Run",
        "distance": 8000.0,
        "moving_time": 2700,
        "elapsed_time": 2800,
        "start_date": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "description": "",
    }
    return {**base, **fields}


def suggest_document(session, athlete_id):
    """The athlete's stored runs and settings as a ``postrun suggest`` document.

    It carries what the pipeline hands the coaching (coaching/document.py): each run's
    workout_type and whether its note prescribed the circuit, and the goal race.
    """
    athlete = session.get(Athlete, athlete_id)
    runs = session.scalars(
        sa.select(Activity)
        .where(Activity.athlete_id == athlete_id, Activity.is_run.is_(True))
        .order_by(Activity.start)
    )
    settings = {
        "units": athlete.effective_units(),
        "equipment": athlete.equipment,
        "level": athlete.level,
        "circuits_per_week": athlete.circuits_per_week,
        "timezone": athlete.effective_timezone(),
    }
    if athlete.goal_race_date is not None:
        settings["goal_race"] = {
            "date": athlete.goal_race_date.isoformat(),
            "distance_m": athlete.goal_race_distance_m,
        }
    return {
        "athlete": settings,
        "runs": [
            {
                "id": str(row.id),
                "start": row.start.isoformat(),
                "distance_m": row.distance_m,
                "moving_time_s": row.moving_time_s,
                "sport_type": row.sport_type,
                "workout_type": row.workout_type,
                "circuit": row.circuit,
            }
            for row in runs
        ],
    }


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can see a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report
