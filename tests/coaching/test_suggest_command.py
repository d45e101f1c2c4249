"""`postrun suggest [FILE|-] [--json]` through click's test runner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from coaching.document import suggest_from_document
from service.cli.suggest import suggest

DOC = {
    "athlete": {"units": "metric", "equipment": "gym"},
    "today": "2026-03-01",
    "runs": [
        {
            "id": str(i),
            "start": f"2026-02-{d:02d}T07:00:00Z",
            "distance_m": 8000.0 + 500 * i,
            "moving_time_s": 2700,
            "sport_type": "Run",
        }
        for i, d in enumerate([2, 4, 7, 9, 11, 14, 16, 18, 21, 23, 25, 28])
    ],
}


def invoke(args, stdin=None):
    return CliRunner().invoke(suggest, args, input=stdin)


def test_prints_the_note_from_stdin():
    result = invoke([], json.dumps(DOC))
    assert result.exit_code == 0
    assert result.stdout == suggest_from_document(DOC).text + "\n"
    assert result.stderr == ""


def test_reads_a_file_and_prints_json(tmp_path):
    path = tmp_path / "runs.json"
    path.write_text(json.dumps(DOC), encoding="utf-8")
    result = invoke([str(path), "--json"])
    assert result.exit_code == 0
    printed = json.loads(result.stdout)
    assert printed == json.loads(json.dumps(suggest_from_document(DOC).to_dict()))
    assert printed["run"]["id"] == "11"
    assert set(printed) >= {"run", "circuit", "volume", "text"}
    volume = printed["volume"]
    assert set(volume) >= {
        "last_7_days_m",
        "weekly_average_4w_m",
        "longest_30d_m",
        "acwr",
        "next_week_m",
        "flags",
        "week_target_m",
        "week_done_m",
        "week_time_s",
        "longest_run_cap_m",
        "plan",
    }
    assert volume["plan"] in {
        "build",
        "hold",
        "cutback",
        "rebuild",
        "restart",
        "recover",
        "taper",
        "race_week",
    }
    assert printed["circuit"]["sessions_done"] == 0
    assert len(volume["next_week_m"]) == 2
    exercises = printed["circuit"]["exercises"]
    assert [e["exercise"] for e in exercises] == ["row", "cobra", "rear_delt_fly"]
    assert set(exercises[0]) == {"exercise", "variation", "sets", "reps", "cue"}


def test_dash_means_stdin():
    assert invoke(["-"], json.dumps(DOC)).stdout == invoke([], json.dumps(DOC)).stdout


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("not json", "error: not JSON: Expecting value at line 1 column 1"),
        ("", "error: not JSON"),
        ("{}", "error: runs: must be a non-empty list of runs"),
        (json.dumps({"runs": []}), "error: runs: must be a non-empty list of runs"),
        (
            json.dumps(
                {"runs": [{"id": "x", "start": "2026-01-01T00:00:00Z", "moving_time_s": 1}]}
            ),
            "error: runs[0].distance_m: is missing",
        ),
        (
            json.dumps(
                {
                    "runs": [
                        {
                            "id": "x",
                            "start": "2026-01-01T00:00:00Z",
                            "distance_m": -3,
                            "moving_time_s": 1,
                        }
                    ]
                }
            ),
            "error: runs[0].distance_m: must be a number >= 0",
        ),
        (
            json.dumps(
                {
                    "runs": [
                        {
                            "id": "x",
                            "start": "2026-01-01T00:00:00Z",
                            "distance_m": 5e9,
                            "moving_time_s": 1,
                        }
                    ]
                }
            ),
            "error: runs[0].distance_m: must be at most 1,000,000",
        ),
    ],
)
def test_bad_input_is_one_line_and_status_2(stdin, message):
    result = invoke([], stdin)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert "Usage" not in result.stderr


def test_missing_file_is_one_line_and_status_2(tmp_path):
    result = invoke([str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot read")
    assert result.stderr.count("\n") == 1


def test_importing_the_command_pulls_in_no_framework():
    import subprocess
    import sys

    code = (
        "import sys, service.cli.suggest;"
        "bad = [m for m in ('flask', 'celery', 'sqlalchemy', 'requests') if m in sys.modules];"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _one_run(**fields):
    run = {"id": "x", "start": "2026-01-01T07:00:00Z", "distance_m": 5000, "moving_time_s": 1500}
    return json.dumps({"runs": [{**run, **fields}]})


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "error: not JSON: nested too deeply"),
        (
            _one_run().replace('"distance_m": 5000', '"distance_m": ' + "9" * 5000),
            "error: not JSON: a number has too many digits",
        ),
        (_one_run(sport_type=[]), "error: runs[0].sport_type: must be one of"),
        (_one_run(sport_type={}), "error: runs[0].sport_type: must be one of"),
        (_one_run(start="0001-01-01T00:30:00+01:00"), "error: runs[0].start: must be between"),
        (_one_run(start="9999-12-31T23:30:00-01:00"), "error: runs[0].start: must be between"),
    ],
    ids=["deep", "digits", "list-sport", "dict-sport", "year-1", "year-9999"],
)
def test_hostile_input_is_one_line_and_status_2_without_a_traceback(stdin, message):
    """Issue #13, item 12: each of these printed a traceback and exited with 1."""
    result = invoke([], stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
