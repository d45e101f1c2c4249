"""The athlete can leave the weekly-volume advice out: the note keeps only the circuit part."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

from coaching import AthleteSettings
from coaching import Run
from coaching import suggest


def runs():
    start = datetime(2026, 3, 2, 7, tzinfo=UTC)
    return [Run(str(i), start + timedelta(days=2 * i), 8000.0, 2700) for i in range(20)]


def test_without_volume_the_note_has_no_volume_lines():
    history = runs()
    full = suggest(AthleteSettings(), history, history[-1])
    bare = suggest(AthleteSettings(include_volume=False), history, history[-1])

    assert "This week" in full.text
    assert "This week" not in bare.text
    assert "Next week" not in bare.text
    assert full.text.startswith(bare.text)
    assert bare.volume == full.volume  # the figures are still worked out, only not written


def test_the_default_keeps_the_volume_lines():
    assert AthleteSettings().include_volume is True
