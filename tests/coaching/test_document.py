"""The request document behind `postrun suggest`: parsed, checked, each error naming its field."""

from __future__ import annotations

import copy
from datetime import UTC
from datetime import date
from datetime import datetime

import pytest

from coaching import AthleteSettings
from coaching.document import InputError
from coaching.document import latest_run
from coaching.document import parse_request
from coaching.document import suggest_from_document

DOC = {
    "athlete": {"units": "imperial", "equipment": "band", "level": "auto", "circuits_per_week": 2},
    "today": "2026-03-01",
    "runs": [
        {"id": "a", "start": "2026-02-26T07:00:00Z", "distance_m": 8000, "moving_time_s": 2700},
        {
            "id": 17,
            "start": "2026-03-01T08:30:00+01:00",
            "distance_m": 10000.5,
            "moving_time_s": 3300,
            "sport_type": "TrailRun",
        },
    ],
}


def changed(path, value):
    doc = copy.deepcopy(DOC)
    target = doc
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


def test_a_full_document_parses():
    settings, runs, today = parse_request(DOC)
    assert settings == AthleteSettings("imperial", "band", "auto", 2)
    assert today == date(2026, 3, 1)
    assert [r.id for r in runs] == ["a", "17"]
    assert runs[1].start == datetime(2026, 3, 1, 7, 30, tzinfo=UTC)
    assert runs[1].sport_type == "TrailRun"
    assert runs[0].sport_type == "Run"


def test_athlete_and_today_are_optional():
    settings, _, today = parse_request({"runs": DOC["runs"]})
    assert settings == AthleteSettings()
    assert today is None


def test_a_time_without_offset_is_utc():
    doc = changed(("runs", 0, "start"), "2026-02-26T07:00:00")
    assert parse_request(doc)[1][0].start.tzinfo is UTC


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "document: must be a JSON object"),
        ({"runs": []}, "runs: must be a non-empty list of runs"),
        ({}, "runs: must be a non-empty list of runs"),
        (changed(("athlete",), "gym"), "athlete: must be an object"),
        (
            changed(("athlete", "units"), "furlongs"),
            "athlete.units: must be one of metric, imperial",
        ),
        (changed(("athlete", "equipment"), "rope"), "athlete.equipment: must be one of"),
        (changed(("athlete", "level"), "elite"), "athlete.level: must be one of"),
        (changed(("athlete", "circuits_per_week"), 5), "athlete.circuits_per_week: must be"),
        (changed(("athlete", "circuits_per_week"), True), "athlete.circuits_per_week: must be"),
        (changed(("today",), "yesterday"), "today: must be a date"),
        (changed(("today",), "1989-12-31"), "today: must be between 1990-01-01"),
        (changed(("today",), "2026-02-28"), "today: must not be before the latest run"),
        (changed(("runs", 1), "run"), "runs[1]: must be an object"),
        (changed(("runs", 1, "start"), KeyError), "runs[1].start: is missing"),
        (changed(("runs", 0, "id"), ""), "runs[0].id: must be a non-empty string"),
        (changed(("runs", 0, "id"), None), "runs[0].id: must be a non-empty string"),
        (changed(("runs", 1, "id"), "a"), "runs[1].id: repeats the id 'a'"),
        (changed(("runs", 1, "start"), "soon"), "runs[1].start: must be an ISO-8601"),
        (changed(("runs", 1, "start"), 1772000000), "runs[1].start: must be an ISO-8601"),
        (changed(("runs", 1, "start"), "1970-01-01T00:00:00Z"), "runs[1].start: must be between"),
        (changed(("runs", 1, "distance_m"), -1), "runs[1].distance_m: must be a number >= 0"),
        (changed(("runs", 1, "distance_m"), "10k"), "runs[1].distance_m: must be a number >= 0"),
        (changed(("runs", 1, "distance_m"), float("nan")), "runs[1].distance_m: must be a number"),
        (changed(("runs", 1, "distance_m"), 1_000_001), "runs[1].distance_m: must be at most"),
        (changed(("runs", 0, "moving_time_s"), -5), "runs[0].moving_time_s: must be a number >= 0"),
        (changed(("runs", 0, "moving_time_s"), 604_801), "runs[0].moving_time_s: must be at most"),
        (changed(("runs", 0, "sport_type"), "Ride"), "runs[0].sport_type: must be one of"),
    ],
)
def test_bad_input_names_the_field(doc, message):
    with pytest.raises(InputError) as caught:
        parse_request(doc)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_latest_run_is_the_latest_start_and_the_last_listed_on_a_tie():
    _, runs, _ = parse_request(DOC)
    assert latest_run(runs).id == "17"
    tie = changed(("runs", 0, "start"), "2026-03-01T07:30:00Z")
    _, runs, _ = parse_request(tie)
    assert latest_run(runs).id == "17"
    assert latest_run(list(reversed(runs))).id == "a"


def test_suggest_from_document_uses_the_latest_run_and_today():
    suggestion = suggest_from_document(DOC)
    assert suggestion.run.id == "17"
    assert suggestion.volume.last_7_days_m == pytest.approx(18_000.5)
    assert "mi" in suggestion.text


def test_workout_types_circuit_flags_and_a_goal_race_parse():
    doc = copy.deepcopy(DOC)
    doc["athlete"]["goal_race"] = {"date": "2026-04-19", "distance_m": 42195}
    doc["runs"][0]["workout_type"] = 2
    doc["runs"][0]["circuit"] = True
    doc["runs"][1]["workout_type"] = "race"
    settings, runs, _ = parse_request(doc)
    assert settings.goal_race.day == date(2026, 4, 19)
    assert settings.goal_race.distance_m == 42195
    assert (runs[0].workout_type, runs[0].circuit) == ("long", True)
    assert runs[1].is_race
    assert suggest_from_document(doc).circuit is None  # a race never gets one


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("runs", 0, "workout_type"), 11, "runs[0].workout_type: must be 0, 1, 2, 3"),
        (("runs", 0, "workout_type"), "tempo", "runs[0].workout_type: must be 0, 1, 2, 3"),
        (("runs", 0, "workout_type"), True, "runs[0].workout_type: must be 0, 1, 2, 3"),
        (("runs", 0, "circuit"), "yes", "runs[0].circuit: must be true or false"),
        (("athlete", "goal_race"), "soon", "athlete.goal_race: must be an object"),
        (("athlete", "goal_race"), {"date": "2026-04-19"}, "athlete.goal_race.distance_m: is"),
        (
            ("athlete", "goal_race"),
            {"date": "19/04/2026", "distance_m": 42195},
            "athlete.goal_race.date: must be a date",
        ),
        (
            ("athlete", "goal_race"),
            {"date": "2026-04-19", "distance_m": 0},
            "athlete.goal_race.distance_m: must be a number > 0",
        ),
    ],
)
def test_bad_new_fields_name_the_field(path, value, message):
    with pytest.raises(InputError) as caught:
        parse_request(changed(path, value))
    assert str(caught.value).startswith(message)
