"""The weekly chart's shape: next week's own slot, the labelled weeks, the caption's zone."""

from __future__ import annotations

import re
from datetime import date
from datetime import timedelta

import pytest

from service.web import chart

FIRST = date(2026, 9, 14)


def weeks(*km):
    return [chart.Week(FIRST + timedelta(weeks=k), v * 1000.0) for k, v in enumerate(km)]


def rects(svg, kind):
    found = re.findall(rf'<rect class="{kind}" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)
    return [(float(x), float(width)) for x, width in found]


def labels(svg):
    return re.findall(r'<text class="week" x="[\d.]+" y="([\d.]+)"[^>]*>([^<]+)</text>', svg)


def test_next_weeks_range_has_its_own_slot_right_of_the_bars():
    svg = chart.weekly_chart(weeks(*[10] * 12), (20_000.0, 24_000.0), "metric")

    bars = rects(svg, "bar")
    ((band_x, band_w),) = rects(svg, "band")
    last_x, last_w = bars[-1]
    assert len(bars) == 12
    assert band_x > last_x + last_w  # not across the twelve weeks run
    assert band_w < 2 * last_w  # one slot, about a bar wide
    assert band_x + band_w <= chart.WIDTH - chart.RIGHT
    assert "Suggested for next week: 20–24 km" in svg
    assert ">next</text>" in svg
    assert ">20–24</text>" in svg


def test_the_first_the_tallest_and_this_week_are_labelled():
    values = [3, 4, 5, 9, 5, 4, 6, 5, 4, 6, 5, 7]  # the tallest is the fourth week
    svg = chart.weekly_chart(weeks(*values), None, "metric")

    dated = [text for _y, text in labels(svg) if text != "next"]
    assert dated == ["14 Sep", "5 Oct", "30 Nov"]
    assert chart.labelled_weeks([0.0] * 12) == [0, 11]


def test_labels_of_neighbouring_weeks_do_not_overlap():
    values = [3, 4, 5, 5, 5, 4, 6, 5, 4, 6, 9, 7]  # the tallest is last week
    svg = chart.weekly_chart(weeks(*values), None, "metric")

    rows = {text: y for y, text in labels(svg)}
    assert set(rows) == {"14 Sep", "23 Nov", "30 Nov", "next"}
    assert rows["23 Nov"] != rows["30 Nov"]  # one line lower


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("UTC", "km per week (weeks start Monday, UTC)"),
        ("America/New_York", "km per week (weeks start Monday, America/New_York time)"),
    ],
)
def test_the_caption_names_the_zone(zone, expected):
    assert chart.caption("metric", zone) == expected
    assert expected in chart.weekly_chart(weeks(*[1] * 12), None, "metric", zone)


def test_imperial_charts_are_in_miles():
    svg = chart.weekly_chart(weeks(*[16.09344] * 12), (16_093.44, 19_312.128), "imperial")
    assert "Week of 14 Sep: 10 mi" in svg
    assert "Suggested for next week: 10–12 mi" in svg
    assert "km" not in svg


def test_the_range_is_rounded_as_the_note_rounds_it():
    svg = chart.weekly_chart(weeks(*[20] * 12), (24_000.0, 26_400.0), "metric")
    assert ">24–26</text>" in svg
    assert "Suggested for next week: 24–26 km" in svg
    assert "26.4" not in svg


def test_no_range_yet_leaves_next_weeks_slot_empty():
    svg = chart.weekly_chart(weeks(*[0] * 11, 8), (0.0, 0.0), "metric")
    assert 'class="band"' not in svg
    assert ">next</text>" in svg
    assert "suggested" not in svg.lower()


def test_a_long_zone_name_still_fits():
    short = chart.weekly_chart(weeks(*[1] * 12), None, "metric", "Europe/Paris")
    long = chart.weekly_chart(weeks(*[1] * 12), None, "metric", "America/Argentina/ComodRivadavia")
    assert "textLength" not in short
    assert f'textLength="{chart.WIDTH - 8}"' in long
