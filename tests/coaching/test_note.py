"""The note's text: short, one paragraph, in the athlete's units, worded with care."""

from __future__ import annotations

import itertools
import re
from datetime import UTC
from datetime import datetime

import pytest

from coaching import AthleteSettings
from coaching.circuit import LADDER
from coaching.circuit import prescribe
from coaching.localtime import when
from coaching.note import MAX_CHARS
from coaching.note import compose
from coaching.volume import Flag
from coaching.volume import Volume

# Words that would turn a flag into a forecast or a promise.
FORBIDDEN = re.compile(r"predict|prevent|will get injured|guarantee", re.IGNORECASE)


def volume(plan="build", flags=(), acwr=1.23, big=False):
    scale = 99_999 if big else 1
    return Volume(
        this_week_m=12_300.0 * scale,
        last_7_days_m=41_500.0 * scale,
        weekly_average_4w_m=40_200.0 * scale,
        longest_30d_m=21_000.0 * scale,
        acwr=acwr,
        change_1w=0.1,
        change_2w=0.35,
        next_week_m=(41_500.0 * scale, 45_650.0 * scale),
        plan=plan,
        flags=tuple(flags),
        break_days=21 if plan == "restart" else None,
    )


FLAGS = {
    "long_run_jump": Flag("long_run_jump", 0.16),
    "two_week_jump": Flag("two_week_jump", 0.35),
    "acwr_high": Flag("acwr_high", 1.62),
    "return_after_break": Flag("return_after_break", 21),
    "cutback_week": Flag("cutback_week", 3),
}
DUE = datetime(2026, 3, 5, 14, 0, tzinfo=UTC)


def test_every_combination_fits_in_700_characters_without_blank_lines():
    worst = 0
    for units, equipment, stage, plan, flag, with_circuit, big in itertools.product(
        ("metric", "imperial"),
        ("gym", "band", "none"),
        LADDER,
        ("build", "hold", "newcomer", "cutback", "restart"),
        (None, *FLAGS),
        (True, False),
        (True, False),
    ):
        settings = AthleteSettings(units=units, equipment=equipment)
        text = compose(
            circuit=prescribe(settings, stage) if with_circuit else None,
            due=DUE,
            per_week=4,
            volume=volume(plan, [FLAGS[flag]] if flag else [], acwr=12.34, big=big),
            units=units,
        )
        worst = max(worst, len(text))
        assert "\n\n" not in text
        assert not text.startswith("\n")
        assert not text.endswith("\n")
        assert not FORBIDDEN.search(text)
    assert worst <= MAX_CHARS


def test_circuit_note_reads_well():
    settings = AthleteSettings()
    text = compose(
        circuit=prescribe(settings, LADDER[1]),
        due=DUE,
        per_week=3,
        volume=volume(flags=[FLAGS["long_run_jump"]]),
        units="metric",
    )
    lines = text.splitlines()
    assert lines[0] == "Back circuit: 3 rounds of 10 reps each"
    assert [line[:2] for line in lines[1:4]] == ["• "] * 3
    assert "41.5 km" in text
    assert "Next week: 42–46 km" in text
    assert "(BJSM 2025)" in lines[-1]
    assert "*" not in text
    assert "#" not in text


def test_only_one_flag_line_and_the_first_warning_wins():
    flags = [FLAGS["long_run_jump"], FLAGS["two_week_jump"], FLAGS["acwr_high"]]
    text = compose(circuit=None, due=DUE, per_week=3, volume=volume(flags=flags), units="metric")
    assert text.count("Heads-up") == 1
    assert "BJSM 2025" in text
    assert "Nielsen" not in text


def test_acwr_is_shown_with_its_caveat_and_its_flag_names_the_critique():
    text = compose(
        circuit=None, due=DUE, per_week=3, volume=volume(flags=[FLAGS["acwr_high"]]), units="metric"
    )
    assert "load ratio 1.23" in text
    assert "disputed" in text
    assert "Impellizzeri 2020" in text


def test_imperial_note_uses_miles():
    text = compose(circuit=None, due=DUE, per_week=3, volume=volume(), units="imperial")
    assert "25.8 mi" in text
    assert "km" not in text


def test_skipped_run_says_when_the_next_circuit_is_due():
    text = compose(circuit=None, due=DUE, per_week=2, volume=volume(), units="metric")
    assert text.splitlines()[0] == (
        "No back circuit this time (up to 2 a week, 48 h apart):"
        " next with your first run from Thu 5 Mar 14:00 UTC."
    )


@pytest.mark.parametrize(
    ("plan", "words"),
    [
        ("cutback", "easier week"),
        ("restart", "21 days off"),
        ("newcomer", "gentle start"),
        ("hold", "hold steady"),
        ("build", "convention"),
    ],
)
def test_next_week_line_explains_the_plan(plan, words):
    text = compose(circuit=None, due=DUE, per_week=3, volume=volume(plan), units="metric")
    assert words in text


def test_when_is_locale_free():
    assert when(datetime(2026, 12, 31, 23, 5, tzinfo=UTC)) == "Thu 31 Dec 23:05 UTC"


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        # Sydney is ahead of UTC (daylight time in March): already Friday morning there.
        ("Australia/Sydney", "Fri 6 Mar 01:00 AEDT"),
        # Los Angeles is behind it: still Thursday morning.
        ("America/Los_Angeles", "Thu 5 Mar 06:00 PST"),
    ],
)
def test_the_next_circuit_is_given_on_the_athletes_clock(zone, expected):
    text = compose(circuit=None, due=DUE, per_week=2, volume=volume(), units="metric", zone=zone)
    assert text.splitlines()[0].endswith(f"next with your first run from {expected}.")


def test_this_week_leads_the_volume_line():
    text = compose(circuit=None, due=DUE, per_week=3, volume=volume(), units="metric")
    assert "This week: 12.3 km · last 7 days 41.5 km · 4-week avg 40.2 km/wk" in text


@pytest.mark.parametrize("code", ["long_run_jump", "two_week_jump"])
def test_a_huge_jump_is_capped_in_words_and_the_note_stays_short(code):
    # Found by Hypothesis: a week two weeks ago of a few nanometres made the rise a
    # number of 300 digits, and the note passed 700 characters.
    huge = volume(flags=[Flag(code, 1e300)])
    text = compose(circuit=None, due=DUE, per_week=3, volume=huge, units="metric")
    assert "over 10,000%" in text
    assert len(text) <= MAX_CHARS
