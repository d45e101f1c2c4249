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
