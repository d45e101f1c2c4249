"""What ``postrun gpx`` says about files: which to read, and one line or entry per file.

The command itself (``service.cli.gpx``) parses options and prints; this module
finds the files, reads them within the limits and words the results.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from collections.abc import Iterator
from datetime import timedelta
from datetime import timezone
from typing import Any

from coaching.units import format_distance
from service.files import FileError
from service.files import FileResult
from service.files import Limits
from service.files import RequestBudget
from service.files import read_activity
from service.files import read_bounded
from service.files.imports import ImportResult

SUFFIXES = (".gpx", ".fit")


def expand(paths: Iterable[str]) -> tuple[list[str], list[str]]:
    """Files to read, in order (folders walked for *.gpx and *.fit, sorted), and notes."""
    files: list[str] = []
    notes: list[str] = []
    seen: set[str] = set()

    def add(name: str) -> None:
        key = os.path.realpath(name)
        if key not in seen:
            seen.add(key)
            files.append(name)

    for raw in paths:
        if os.path.isdir(raw):
            found = sorted(_walk(raw))
            if not found:
                notes.append(f"{raw}: no .gpx or .fit files in this folder")
            for name in found:
                add(name)
        else:
            add(raw)
    return files, notes


def _walk(folder: str) -> Iterator[str]:
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in names:
            if name.lower().endswith(SUFFIXES):
                yield os.path.join(root, name)


def read_one(path: str, limits: Limits, budget: RequestBudget, units: str = "metric") -> FileResult:
    """Read one file within the per-file and per-command limits; raises FileError."""
    data = read_bounded(path, limits)
    budget.charge(len(data))
    return read_activity(path, data, limits, units)


def duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def line(path: str, result: FileResult | None, error: str | None, units: str) -> str:
    if result is None:
        return f"{path}: error: {error}"
    if not result.recorded:
        text = f"{path}: {result.reason}"
    elif result.is_run:
        assert result.start is not None
        clock = "local time" if result.start_is_local else "UTC"
        when = result.start.strftime(f"%Y-%m-%d %H:%M {clock}")
        text = (
            f"{path}: run {format_distance(result.distance_m, units)} "
            f"in {duration(result.moving_time_s)}, {when}"
        )
    else:
        text = f"{path}: not a run ({result.reason})"
    if result.notes:
        text += "; " + "; ".join(result.notes)
    return text


def run_entry(result: FileResult) -> dict[str, Any]:
    """A run as ``postrun suggest`` reads it (and as --json prints it)."""
    assert result.start is not None
    start = result.start
    if result.utc_offset_s:
        # Written on the file's own clock, so ``postrun suggest`` keeps the local day.
        start = start.astimezone(timezone(timedelta(seconds=result.utc_offset_s)))
    return {
        "start": start.isoformat().replace("+00:00", "Z"),
        "distance_m": result.distance_m,
        "moving_time_s": result.moving_time_s,
        "sport_type": result.sport_type,
    }


def document(
    runs: list[tuple[str, FileResult]], units: str | None, zone: str | None = None
) -> dict[str, Any]:
    """The request ``postrun suggest`` reads: every run, with the file's path as its id."""
    doc: dict[str, Any] = {"runs": [{"id": path, **run_entry(r)} for path, r in runs]}
    athlete = {key: value for key, value in (("units", units), ("timezone", zone)) if value}
    if athlete:
        doc["athlete"] = athlete
    return doc


def bounded_reads(files: list[str], limits: Limits) -> Iterator[tuple[str, bytes | FileError]]:
    """Each file's bytes (or why they could not be read), one file at a time."""
    for path in files:
        try:
            yield path, read_bounded(path, limits)
        except FileError as error:
            yield path, error


def run_json(run: Any) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "start": run.start.isoformat().replace("+00:00", "Z"),
        "distance_m": run.distance_m,
        "moving_time_s": run.moving_time_s,
        "sport_type": run.sport_type,
    }


def import_line(path: str, result: ImportResult, units: str) -> str:
    """One line per file for ``--import`` (an ``ImportResult`` from ``service.files.imports``)."""
    if result.status == "error":
        return f"{path}: error: {result.error}"
    if result.status == "not a run":
        reason = result.detail
        if not reason.startswith("not a recorded run"):
            reason = f"not a run ({reason})"
        return f"{path}: not imported: {reason}"
    run = result.run
    assert run is not None
    when = run.start.strftime("%Y-%m-%d %H:%M UTC")
    text = f"run {format_distance(run.distance_m, units)} in {duration(run.moving_time_s)}, {when}"
    if result.status == "duplicate":
        return f"{path}: duplicate, not imported: {text}; {result.detail}"
    return f"{path}: imported {text}"
