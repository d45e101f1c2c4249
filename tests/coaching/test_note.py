"""The note's text: short, one paragraph, in the athlete's units, worded with care."""

from __future__ import annotations

import itertools
import re
from datetime import UTC
from datetime import datetime

import pytest

from coaching import AthleteSettings
from coaching.circuit import LADDER
from coaching.circuit import STANDARD
from coaching.circuit import prescribe
from coaching.localtime import when
from coaching.note import MAX_CHARS
from coaching.note import compose
from coaching.volume import Flag
from coaching.volume import Volume

# Words that would turn a flag into a forecast or a promise.
FORBIDDEN = re.compile(r"predict|prevent|will get injured|guarantee", re.IGNORECASE)


def volume(plan="build", flags=(), acwr=1.23, big=False, time_based=False):
    scale = 99_999 if big else 1
    target_s = (3600.0 * scale, 4000.0 * scale) if time_based else None
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
        break_days=21 if plan in ("rebuild", "restart") else None,
        week_target_m=(40_000.0 * scale, 44_000.0 * scale),
        week_target_s=target_s,
        week_done_m=18_000.0 * scale,
        week_time_s=6000 * scale,
        longest_run_cap_m=22_000.0 * scale,
        time_based=time_based,
        step=2 if plan in ("rebuild", "restart") else None,
        steps=4 if plan in ("rebuild", "restart") else None,
        normal_m=40_000.0 * scale,
    )


FLAGS = {
    "long_run_jump": Flag("long_run_jump", 0.16),
    "week_jump": Flag("week_jump", 0.35),
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
        ("build", "hold", "cutback", "rebuild", "restart", "recover", "taper", "race_week"),
        (None, *FLAGS),
        (True, False),
        (True, False),
    ):
        settings = AthleteSettings(units=units, equipment=equipment)
        text = compose(
            circuit=prescribe(settings, stage) if with_circuit else None,
            due=DUE,
            per_week=4,
            volume=volume(plan, [FLAGS[flag]] if flag else [], acwr=12.34, big=big, time_based=big),
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
        circuit=prescribe(settings, STANDARD),
        due=DUE,
        per_week=3,
        volume=volume(flags=[FLAGS["long_run_jump"]]),
        units="metric",
    )
    lines = text.splitlines()
    assert lines[0] == (
        "Back circuit, session 1: 3 rounds of 10 reps, a weight you can lift 10 times comfortably"
    )
    assert [line[:2] for line in lines[1:4]] == ["• "] * 3
    assert "This week: 18 of 40–44 km" in text
    assert "Longest run this week: up to 22.0 km." in text
    assert "(Frandsen 2025)" in lines[-1]
    assert "16.0% longer" in lines[-1]
    assert "*" not in text
    assert "#" not in text


def test_only_one_flag_line_and_the_first_warning_wins():
    flags = [FLAGS["long_run_jump"], FLAGS["week_jump"]]
    text = compose(circuit=None, due=DUE, per_week=3, volume=volume(flags=flags), units="metric")
    assert text.count("Heads-up") == 1
    assert "Frandsen 2025" in text
    assert "Nielsen" not in text


def test_the_load_ratio_stays_out_of_the_text():
    text = compose(circuit=None, due=DUE, per_week=3, volume=volume(acwr=1.9), units="metric")
    assert "ratio" not in text
    assert "1.9" not in text


@pytest.mark.parametrize(
    ("fraction", "shown"), [(0.104, "10.4%"), (0.1001, "10.1%"), (0.35, "35.0%")]
)
def test_a_jump_never_reads_as_the_threshold_it_crossed(fraction, shown):
    flags = [Flag("long_run_jump", fraction)]
    text = compose(circuit=None, due=DUE, per_week=3, volume=volume(flags=flags), units="metric")
    assert f"Heads-up: {shown} longer" in text


def test_imperial_note_uses_miles():
    text = compose(circuit=None, due=DUE, per_week=3, volume=volume(), units="imperial")
    assert "This week: 11 of 25–27 mi" in text
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
        ("rebuild", "step 2 of 4 back to your usual week"),
        ("restart", "cautious restart"),
        ("hold", "ease back after last week's big rise"),
        ("build", "at most 10%"),
        ("recover", "easy week after your race"),
        ("race_week", "before race day"),
    ],
)
def test_the_week_line_explains_the_plan(plan, words):
    text = compose(circuit=None, due=DUE, per_week=3, volume=volume(plan), units="metric")
    assert words in text


def test_time_on_feet_leads_when_the_week_is_time_based():
    text = compose(
        circuit=None, due=DUE, per_week=3, volume=volume(time_based=True), units="metric"
    )
    assert "This week: 1 h 40 of 1 h 00–1 h 07 on your feet, 18 km so far" in text


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


@pytest.mark.parametrize("code", ["long_run_jump", "week_jump"])
def test_a_huge_jump_is_capped_in_words_and_the_note_stays_short(code):
    # Found by Hypothesis: a week two weeks ago of a few nanometres made the rise a
    # number of 300 digits, and the note passed 700 characters.
    huge = volume(flags=[Flag(code, 1e300)])
    text = compose(circuit=None, due=DUE, per_week=3, volume=huge, units="metric")
    assert "over 10,000%" in text
    assert len(text) <= MAX_CHARS
