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
        return json.dumps(data, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ids = " ".join(
            f"{key}={getattr(record, key)}" for key in CONTEXT_KEYS if getattr(record, key, None)
        )
        line = (
            f"{self.formatTime(record)} {record.levelname:7} {record.name}: {record.getMessage()}"
        )
        if ids:
            line = f"{line} [{ids}]"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
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
