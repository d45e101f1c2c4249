"""Logging: one JSON object per line in production, readable lines in the demo.

Records carry the ids of what is being worked on (event, athlete, activity,
task) from context variables, so a line can be traced without putting anything
secret in it. Tokens, codes and client secrets are never logged: handlers log
ids and outcomes only, and gunicorn's access log drops query strings.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from typing import Any

CONTEXT_KEYS = ("event_id", "athlete_id", "activity_id", "task_id")
# Default None rather than a shared dict: each block sets a new mapping of its own.
_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "postrun_log", default=None
)


@contextlib.contextmanager
def log_context(**ids: Any) -> Iterator[None]:
    """Attach ids to every record logged inside the block (and in code it calls)."""
    current = _context.get() or {}
    token = _context.set({**current, **{k: v for k, v in ids.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


# C0 and C1 control characters and DEL, written as escapes in text lines: a value
# from a request (an event field, a file name) must not start a fake log line,
# hide one behind a carriage return, or send a terminal escape sequence.
_ESCAPES = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))}


def escape(text: str) -> str:
    """``text`` on one line, printable, and encodable as UTF-8 (lone surrogates escaped)."""
    return text.translate(_ESCAPES).encode("utf-8", "backslashreplace").decode("utf-8")


def _encodable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_context.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in CONTEXT_KEYS:
            value = getattr(record, key, None)
            if value is not None:
                data[key] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        # json.dumps escapes control characters; a lone surrogate it would pass through.
        return _encodable(json.dumps(data, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ids = " ".join(
            f"{key}={getattr(record, key)}" for key in CONTEXT_KEYS if getattr(record, key, None)
        )
        message = escape(record.getMessage())
        line = f"{self.formatTime(record)} {record.levelname:7} {record.name}: {message}"
        if ids:
            line = f"{line} [{escape(ids)}]"
        if record.exc_info:
            # A traceback spans lines by nature; only its text is made encodable.
            line = f"{line}\n{_encodable(self.formatException(record.exc_info))}"
        return line


def configure(fmt: str = "json", level: str = "INFO") -> None:
    """Send every record to stderr in one format. Safe to call more than once."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_postrun", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler._postrun = True  # type: ignore[attr-defined]
        handler.addFilter(ContextFilter())
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root.setLevel(level.upper())
