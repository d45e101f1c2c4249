"""The description merge: the athlete's words survive every write, our block never doubles."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from service.pipeline.description import MARKER
from service.pipeline.description import merge
from service.pipeline.description import render_block
from service.pipeline.description import strip_blocks

# Athlete text: anything, including emoji, blank lines and trailing spaces,
# except a line that is exactly our marker.
athlete_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200
).filter(lambda t: all(line.rstrip("\r\n") != MARKER for line in t.splitlines()))
notes = st.lists(
    st.text(
        alphabet=st.characters(
            codec="utf-8", exclude_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
        ),
        min_size=1,
        max_size=40,
    ).filter(lambda s: s.strip()),
    min_size=1,
    max_size=5,
).map("\n".join)


class TestMerge:
    def test_appends_below_the_athletes_text(self):
        block = render_block("Row 3x10")

        assert merge("Felt great", block) == f"Felt great\n\n{MARKER}\nRow 3x10"

    def test_empty_description_gets_the_block_alone(self):
        block = render_block("Row 3x10")

        assert merge(None, block) == block
        assert merge("", block) == block

    def test_replaces_its_block_in_place_and_keeps_text_after_it(self):
        first = render_block("old note")
        written = merge("Before", first) + "\n\nAdded later on the phone 🏃  "

        result = merge(written, render_block("new note"), first)

        assert result == f"Before\n\n{MARKER}\nnew note\n\nAdded later on the phone 🏃  "

    def test_finds_its_block_by_marker_when_the_record_is_lost(self):
        written = merge("Mine", render_block("old"))

        assert merge(written, render_block("new")) == f"Mine\n\n{MARKER}\nnew"

    def test_removes_duplicate_blocks_left_by_someone_else(self):
        doubled = f"Mine\n\n{MARKER}\na\n\n{MARKER}\nb"

        assert merge(doubled, render_block("c")) == f"Mine\n\n{MARKER}\nc"

    def test_block_none_removes_ours_only(self):
        written = merge("Race day!\n", render_block("note"))

        assert merge(written, None) == "Race day!\n"

    def test_render_block_drops_blank_lines(self):
        assert render_block("a\n\n b \n") == f"{MARKER}\na\n b"


@given(text=athlete_text, first=notes, second=notes)
def test_athlete_text_survives_any_sequence_of_writes(text, first, second):
    once = merge(text, render_block(first))
    twice = merge(once, render_block(second), render_block(first))

    assert strip_blocks(once) == text
    assert strip_blocks(twice) == text
    assert twice.count(MARKER) == 1


@given(text=athlete_text, note=notes)
def test_writing_the_same_block_again_changes_nothing(text, note):
    block = render_block(note)
    once = merge(text, block)

    assert merge(once, block, block) == once
    assert merge(once, block) == once
