"""Read GPX and FIT activity files safely: what a file says about the run it holds.

The entry points work on bytes, so a web upload and the ``postrun gpx`` command
share them::

    result = read_activity("morning.gpx", data)          # raises FileError
    run = to_coaching_run(result, "morning.gpx")        # a coaching.Run

Every problem is a FileError whose message names the problem (never the file:
the caller knows the name). Decisions, in short:

- The format comes from the content: a FIT header (".FIT" at bytes 8-12), else XML.
- GPX is checked by a streaming defusedxml pass (no DTD, entities or external
  references; point, element and depth limits) before gpxpy builds anything.
- Distance is summed per segment over points with coordinates in range; a point
  out of range splits its segment, and gaps between segments are never bridged.
  Moving time counts stretches covered at 0.5 m/s or faster; FIT files use the
  session's timer time and distance (a foot pod's, when the file has no GPS).
- FIT times below 0x10000000 count from when the device was switched on; the
  activity's local timestamp (or a timestamp correlation) places them, and a file
  with nothing to place them by is "not a recorded run" that says so.
- A file with no track points, no (or mostly no) times, a single time for every
  point, or placeholder dates (before 1990, from 2100, 2000-01-01 00:00) is "not a
  recorded run"; its numbers are reported but never guessed into a run.
- Times that go backwards inside a segment make the file unreadable (FileError):
  the moving time could not be trusted, and guessing would double-count.
- The file's own activity type decides whether it is a run; without one the
  average moving speed does (2.0 to 6.5 m/s is a run).
"""

from __future__ import annotations

import os
import stat

from coaching import Run
from service.files._common import MB
from service.files._common import FileError
from service.files._common import FileResult
from service.files._common import Limits
from service.files._common import RequestBudget
from service.files._common import human_bytes
from service.files._common import not_recorded
from service.files._common import skipped_note

__all__ = [
    "MB",
    "FileError",
    "FileResult",
    "Limits",
    "RequestBudget",
    "read_activity",
    "read_path",
    "to_coaching_run",
]


def read_activity(
    name: str, data: bytes, limits: Limits | None = None, units: str = "metric"
) -> FileResult:
    """Read one GPX or FIT file from its bytes. Raises FileError.

    ``units`` ("metric" or "imperial") is how a pace in the reason reads: per km or per mi.
    """
    # The parsers (gpxpy, fitdecode) load with the first file read, not with this
    # package: the web and the worker hand files to a child process and never read
    # one themselves, and each would hold both for nothing
    # (docs/operations.md#the-demo, Memory).
    from service.files import _fit
    from service.files._fit_result import from_fit

    limits = limits or Limits()
    if len(data) > limits.max_bytes:
        raise FileError(
            f"too large: {human_bytes(len(data))}, the limit is {human_bytes(limits.max_bytes)}"
        )
    if not data.strip():
        raise FileError("the file is empty")
    if _fit.is_fit(data):
        return from_fit(name, data, limits, units)
    if data[:2] in (b"<\x00", b"\x00<"):
        raise FileError("looks like UTF-16 text without a byte-order mark; save it as UTF-8")
    if not _looks_like_xml(data):
        raise FileError("not a GPX or FIT file: it is neither XML nor has a FIT header")
    return _from_gpx(name, data, limits, units)


def read_path(path: str | os.PathLike[str], limits: Limits | None = None) -> FileResult:
    """Read a file from disk without ever holding more than ``max_bytes`` of it."""
    limits = limits or Limits()
    data = read_bounded(path, limits)
    return read_activity(os.fspath(path), data, limits)


def read_bounded(path: str | os.PathLike[str], limits: Limits) -> bytes:
    """The file's bytes, refused before reading when it is larger than ``max_bytes``."""
    try:
        # Non-blocking, so that opening a FIFO (or a device) cannot wait for a writer;
        # it is refused below as not a regular file. Reads of a regular file never block.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(descriptor, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise FileError("not a regular file")
            if info.st_size > limits.max_bytes:
                raise FileError(
                    f"too large: {human_bytes(info.st_size)}, "
                    f"the limit is {human_bytes(limits.max_bytes)}"
                )
            data = handle.read(limits.max_bytes + 1)
    except FileNotFoundError:
        raise FileError("no such file") from None
    except IsADirectoryError:
        raise FileError("a folder, not a file") from None
    except PermissionError:
        raise FileError("permission denied") from None
    except OSError as error:
        raise FileError(f"cannot read it: {error.strerror or error}") from None
    if len(data) > limits.max_bytes:  # it grew while we read it
        raise FileError(f"too large: over {human_bytes(limits.max_bytes)}")
    return data


def to_coaching_run(result: FileResult, run_id: str) -> Run:
    """The coaching core's Run for a file that holds a run (ValueError otherwise)."""
    if not result.is_run or result.start is None or result.sport_type is None:
        raise ValueError(f"{run_id}: not a run ({result.reason})")
    return Run(
        id=run_id,
        start=result.start,
        distance_m=result.distance_m,
        moving_time_s=result.moving_time_s,
        sport_type=result.sport_type,
    )


def _looks_like_xml(data: bytes) -> bool:
    head = data[:4]
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return True
    return data.lstrip(b" \t\r\n").startswith(b"<")


def _from_gpx(name: str, data: bytes, limits: Limits, units: str) -> FileResult:
    from service.files import _gpx  # loaded with the first file, as above
    from service.files import _track

    text = _gpx.decode(data)
    scanned = _gpx.scan(text, limits)
    counts = scanned.counts
    gpx = _gpx.parse(text)
    segments = _gpx.segments(gpx)
    # gpxpy reads a time it cannot parse as no time; say so rather than lose it.
    unreadable = scanned.trkpt_times - sum(
        1 for _, samples in segments for sample in samples if sample.time is not None
    )
    if unreadable > 0:
        noun = "time is" if unreadable == 1 else "times are"
        raise FileError(f"{unreadable:,} track point {noun} not a valid date-time")
    measured = _track.measure(segments)
    if measured.points == 0:
        if counts["rtept"] or gpx.routes:
            why = f"a route ({counts['rtept']:,} route points), not a recorded track"
        elif counts["wpt"]:
            why = f"waypoints only ({counts['wpt']:,})"
        elif gpx.tracks:
            why = "the track is empty"
        else:
            why = "the file holds no track"
        return not_recorded(name, "gpx", why, 0)
    skipped, notes = skipped_note(measured.points, measured.valid_points)
    untimed = _track.untimed_reason(measured)
    if untimed:
        return not_recorded(
            name,
            "gpx",
            untimed,
            measured.points,
            distance_m=measured.distance_m,
            skipped_points=skipped,
            notes=notes,
        )
    assert measured.start is not None
    assert measured.end is not None
    file_type = _gpx.track_type(gpx)
    if file_type:
        kind = _track.by_gpx_type(file_type, measured.distance_m, measured.moving_time_s, units)
    else:
        kind = _track.by_pace(measured.distance_m, measured.moving_time_s, units)
    return FileResult(
        name=name,
        format="gpx",
        recorded=True,
        is_run=kind.is_run,
        reason=kind.reason,
        sport_type=kind.sport_type,
        start=measured.start,
        distance_m=measured.distance_m,
        moving_time_s=round(measured.moving_time_s),
        elapsed_time_s=round((measured.end - measured.start).total_seconds()),
        elevation_gain_m=measured.elevation_gain_m,
        points=measured.points,
        skipped_points=skipped,
        utc_offset_s=_gpx.utc_offset_s(gpx),
        notes=notes,
    )
