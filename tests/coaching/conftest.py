"""Fixtures for the coaching tests: real Strava activity lists (see fixtures/NOTICE.md)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from coaching import Run
from coaching import is_finished_run

FIXTURES = Path(__file__).parent / "fixtures"


def runs_from_strava(*names: str) -> list[Run]:
    """SummaryActivity dicts to Runs: finished runs only, each id once, oldest first."""
    runs: dict[str, Run] = {}
    for name in names:
        for activity in json.loads((FIXTURES / name).read_text(encoding="utf-8")):
            is_run, _ = is_finished_run(
                sport_type=activity.get("sport_type"),
                activity_type=activity.get("type"),
                distance_m=activity.get("distance"),
                moving_time_s=activity.get("moving_time"),
            )
            if is_run:
                runs[str(activity["id"])] = Run(
                    id=str(activity["id"]),
                    start=datetime.fromisoformat(activity["start_date"]),
                    distance_m=float(activity["distance"]),
                    moving_time_s=int(activity["moving_time"]),
                    sport_type=activity.get("sport_type") or activity["type"],
                )
    return sorted(runs.values(), key=lambda r: r.start)


@pytest.fixture(scope="session")
def summer_2025() -> list[Run]:
    """One runner's Jul-Oct 2025: about 60-90 km a week, long runs on Saturdays."""
    return runs_from_strava("athlete_activities_page2.json", "athlete_activities_page1.json")


@pytest.fixture(scope="session")
def november_2018() -> list[Run]:
    """Seven runs in November 2018, the New York marathon among them."""
    return runs_from_strava("athlete_activities_after-before_nov-2018.json")
