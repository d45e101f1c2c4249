"""Put postrun's block into an activity description without touching the athlete's words.

Our block is one paragraph: a marker line, then the note (which never contains a
blank line). Everything outside that paragraph belongs to the athlete and goes
back byte for byte. Writing again replaces the block where it stands, so a retry
or a duplicate event can never add a second one.

Peers show why the marker must be quiet: users complained when begin/end markers
showed up in their descriptions (docs/sources.md#why-the-marker-is-one-quiet-line), so there is one
short line and no closing tag.
"""

from __future__ import annotations

MARKER = "— postrun"
SEPARATOR = "\n\n"


def render_block(note: str) -> str:
    """The block as it appears in the description: the marker line, then the note."""
    lines = [line for line in note.strip().splitlines() if line.strip()]
    return "\n".join([MARKER, *lines])


def _marker_starts(text: str) -> list[int]:
    """Offsets of every line that is exactly the marker."""
    starts = []
    offset = 0
    for line in text.splitlines(keepends=True):
        if line.rstrip("\r\n") == MARKER:
            starts.append(offset)
        offset += len(line)
    return starts


def find_block(text: str, previous: str | None = None) -> tuple[int, int] | None:
    """Return the [start, end) span of our block in ``text``, or None.

    The block we last wrote is looked for first, exactly; failing that (an older
    version, or the record was lost), the paragraph that starts with the marker.
    """
    if previous and previous in text:
        start = text.index(previous)
        return start, start + len(previous)
    starts = _marker_starts(text)
    if not starts:
        return None
    start = starts[0]
    end = text.find("\n\n", start)
    crlf_end = text.find("\r\n\r\n", start)
    if crlf_end != -1 and (end == -1 or crlf_end < end):
        end = crlf_end
    return start, len(text) if end == -1 else end


def _cut(text: str, span: tuple[int, int]) -> str:
    """Remove a block and the one separator that tied it to the athlete's text."""
    start, end = span
    before, after = text[:start], text[end:]
    if not after and before.endswith(SEPARATOR):
        before = before[: -len(SEPARATOR)]
    elif after.startswith(SEPARATOR):
        after = after[len(SEPARATOR) :]
    return before + after


def strip_blocks(text: str | None, previous: str | None = None) -> str:
    """The description with every postrun block removed: the athlete's own text."""
    result = text or ""
    while (span := find_block(result, previous)) is not None:
        result = _cut(result, span)
        previous = None
    return result


def merge(current: str | None, block: str | None, previous: str | None = None) -> str:
    """The description to write: ``current`` with our block set to ``block``.

    ``block`` None removes our block. A block already present is replaced in
    place; otherwise the new one goes after the athlete's text, one blank line
    below it. Any extra copies of our block (there should be none) are removed.
    """
    text = current or ""
    span = find_block(text, previous)
    if span is None:
        if block is None:
            return text
        return block if not text else text + SEPARATOR + block
    if block is None:
        return strip_blocks(text, previous)
    start, end = span
    head = text[:start]
    tail = strip_blocks(text[end:])
    if tail and not tail.startswith(SEPARATOR) and text[end:].startswith(SEPARATOR):
        tail = SEPARATOR + tail
    return head + block + tail
