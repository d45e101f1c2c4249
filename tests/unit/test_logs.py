"""Log lines: JSON in production, with the ids of the work in hand."""

from __future__ import annotations

import json
import logging

from service.logs import ContextFilter
from service.logs import JsonFormatter
from service.logs import TextFormatter
from service.logs import log_context


def record(message="handled", exc_info=None):
    made = logging.LogRecord("service.handlers", logging.INFO, __file__, 1, message, (), exc_info)
    ContextFilter().filter(made)
    return made


def test_json_line_carries_the_ids_in_context():
    with log_context(event_id=7, athlete_id=134815), log_context(activity_id=42):
        line = JsonFormatter().format(record())

    data = json.loads(line)
    assert data["message"] == "handled"
    assert data["level"] == "info"
    assert (data["event_id"], data["athlete_id"], data["activity_id"]) == (7, 134815, 42)


def test_ids_do_not_leak_out_of_their_block():
    with log_context(event_id=7):
        pass

    assert "event_id" not in json.loads(JsonFormatter().format(record()))


def test_one_line_per_record_even_with_a_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        line = JsonFormatter().format(record(exc_info=sys.exc_info()))

    assert "\n" not in line
    assert "ValueError: boom" in json.loads(line)["exception"]


def test_text_lines_are_readable():
    with log_context(event_id=7):
        line = TextFormatter().format(record())

    assert line.endswith("service.handlers: handled [event_id=7]")


def test_text_lines_escape_what_a_request_could_smuggle_in():
    hostile = "title\nERROR forged line\r\x1b[31mred\x00\x85 \ud800 café"

    line = TextFormatter().format(record(f"event type {hostile!s}"))

    assert "\n" not in line
    assert "\r" not in line
    assert "\x1b" not in line
    assert "\\x0a" in line
    assert "\\x1b[31m" in line
    assert "\\ud800" in line
    assert "café" in line  # ordinary text stays as it is
    line.encode("utf-8")  # a lone surrogate would make the handler fail here


def test_json_lines_are_encodable_with_a_lone_surrogate():
    line = JsonFormatter().format(record("object type \ud800\x00"))

    line.encode("utf-8")
    assert "\x00" not in line  # as the escape \u0000
    assert json.loads(line)["message"] == "object type \ud800\x00"  # JSON escapes, read back
