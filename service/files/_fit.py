"""FIT activity files through fitdecode, streamed: only the few fields postrun needs are kept.

Times are kept as fitdecode gives them while the file streams (a ``datetime``, or
an ``int`` of system time) and placed on a clock at the end, when every message
that can place them has been read (see ``_fit_clock``).
"""

from __future__ import annotations

import dataclasses
import io
import struct
from datetime import datetime
from typing import Any

import fitdecode

from service.files._common import FileError
from service.files._common import Limits
from service.files._fit_clock import Clues
from service.files._fit_clock import Placement
from service.files._fit_clock import Raw
from service.files._fit_clock import is_system_time
from service.files._fit_clock import place
from service.files._track import Sample

SEMICIRCLE_TO_DEGREES = 180.0 / 2**31

# A record with a position, its time as read: (lat, lon, time, elevation).
Point = tuple[float, float, Raw, float | None]


def is_fit(data: bytes) -> bool:
    return len(data) >= 12 and data[8:12] == b".FIT"


@dataclasses.dataclass
class Session:
    start: datetime | None  # placed on a clock once the whole file is read
    end: datetime | None
    distance_m: float | None
    timer_s: float | None
    elapsed_s: float | None
    ascent_m: float | None
    sport: str | None
    sub_sport: str | None


@dataclasses.dataclass
class FitContent:
    file_type: str | None = None
    sessions: list[Session] = dataclasses.field(default_factory=list)
    sport: str | None = None  # from a ``sport`` message, when sessions say nothing
    sub_sport: str | None = None
    segments: list[tuple[str, list[Sample]]] = dataclasses.field(default_factory=list)
    records: int = 0
    utc_offset_s: float | None = None
    # The times count from the device's switching on and nothing places them.
    unplaced: bool = False
    # The times are on the device's local clock (labelled UTC): the file gives no UTC.
    local_only: bool = False
    notes: tuple[str, ...] = ()


@dataclasses.dataclass
class _Reading:
    """What streams out of the file before its times are placed."""

    content: FitContent = dataclasses.field(default_factory=FitContent)
    clues: Clues = dataclasses.field(default_factory=Clues)
    stretches: list[list[Point]] = dataclasses.field(default_factory=list)
    current: list[Point] = dataclasses.field(default_factory=list)
    system_span: tuple[int, int] | None = None  # the first and last system time seen
    session_times: list[tuple[Raw, Raw]] = dataclasses.field(default_factory=list)

    def close_stretch(self) -> None:
        if self.current:
            self.stretches.append(self.current)
            self.current = []

    def saw(self, value: Raw) -> None:
        if is_system_time(value):
            assert isinstance(value, int)
            low, high = self.system_span or (value, value)
            self.system_span = (min(low, value), max(high, value))


def _check_header(data: bytes) -> None:
    header_size = data[0]
    if header_size not in (12, 14):
        raise FileError(f"not a valid FIT file: header size {header_size} (expected 12 or 14)")
    (data_size,) = struct.unpack_from("<I", data, 4)
    needed = header_size + data_size + 2
    if len(data) < needed:
        raise FileError(
            f"the FIT file is truncated: its header announces {needed:,} bytes, "
            f"the file has {len(data):,}"
        )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _time(value: Any) -> Raw:
    return value if isinstance(value, datetime | int) and not isinstance(value, bool) else None


def _fields(frame: fitdecode.FitDataMessage, *names: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in names:
        values[name] = frame.get_value(name, fallback=None) if frame.has_field(name) else None
    return values


def read(data: bytes, limits: Limits) -> FitContent:
    """Stream the FIT messages; raise FileError on a broken file or a limit."""
    _check_header(data)
    reading = _Reading()
    messages = 0
    try:
        with fitdecode.FitReader(
            io.BytesIO(data),
            check_crc=fitdecode.CrcCheck.RAISE,
            error_handling=fitdecode.ErrorHandling.IGNORE,
        ) as reader:
            for frame in reader:
                if frame.frame_type != fitdecode.FIT_FRAME_DATA:
                    continue
                messages += 1
                if messages > limits.max_elements:
                    raise FileError(f"more than {limits.max_elements:,} FIT messages")
                if frame.name == "record":
                    reading.content.records += 1
                    if reading.content.records > limits.max_points:
                        raise FileError(f"more than {limits.max_points:,} points")
                _message(frame, reading)
    except fitdecode.FitCRCError:
        raise FileError("the FIT file's checksum does not match (a damaged file)") from None
    except fitdecode.FitEOFError:
        raise FileError("the FIT file is truncated: it ends inside a message") from None
    except fitdecode.FitHeaderError as error:
        raise FileError(f"not a valid FIT file: bad header ({error})") from None
    except fitdecode.FitError as error:
        raise FileError(f"not a valid FIT file: {error}") from None
    except (struct.error, ValueError, KeyError, IndexError, TypeError) as error:
        raise FileError(f"not a valid FIT file: {type(error).__name__}: {error}") from None
    reading.close_stretch()
    return _placed(reading)


def _message(frame: fitdecode.FitDataMessage, reading: _Reading) -> None:
    name, content, clues = frame.name, reading.content, reading.clues
    if name == "record":
        _record(frame, reading)
    elif name == "event":
        values = _fields(frame, "event", "event_type")
        if values["event"] == "timer" and str(values["event_type"]).startswith("stop"):
            reading.close_stretch()
    elif name == "session":
        session, start, end = _session(frame)
        content.sessions.append(session)
        reading.session_times.append((start, end))
        reading.saw(start)
        reading.saw(end)
    elif name == "sport":
        values = _fields(frame, "sport", "sub_sport")
        content.sport = _text(values["sport"])
        content.sub_sport = _text(values["sub_sport"])
    elif name == "file_id":
        values = _fields(frame, "type", "time_created")
        content.file_type = _text(values["type"])
        if isinstance(values["time_created"], datetime):
            clues.created = values["time_created"]
    elif name == "activity":
        values = _fields(frame, "timestamp", "local_timestamp")
        clues.instant(_time(values["timestamp"]), values["local_timestamp"])
        reading.saw(_time(values["timestamp"]))
    elif name == "timestamp_correlation":
        values = _fields(frame, "system_timestamp", "timestamp", "local_timestamp")
        clues.correlation(
            _time(values["system_timestamp"]), _time(values["timestamp"]), values["local_timestamp"]
        )


def _session(frame: fitdecode.FitDataMessage) -> tuple[Session, Raw, Raw]:
    """The session, and its start and end times as read."""
    values = _fields(
        frame,
        "start_time",
        "timestamp",
        "total_distance",
        "total_timer_time",
        "total_elapsed_time",
        "total_ascent",
        "sport",
        "sub_sport",
    )
    session = Session(
        start=None,
        end=None,
        distance_m=_float(values["total_distance"]),
        timer_s=_float(values["total_timer_time"]),
        elapsed_s=_float(values["total_elapsed_time"]),
        ascent_m=_float(values["total_ascent"]),
        sport=_text(values["sport"]),
        sub_sport=_text(values["sub_sport"]),
    )
    return session, _time(values["start_time"]), _time(values["timestamp"])


def _record(frame: fitdecode.FitDataMessage, reading: _Reading) -> None:
    values = _fields(frame, "timestamp", "position_lat", "position_long", "enhanced_altitude")
    timestamp = _time(values["timestamp"])
    reading.saw(timestamp)
    lat, lon = values["position_lat"], values["position_long"]
    if not isinstance(lat, int) or not isinstance(lon, int):
        return  # no GPS fix for this record (indoors, a foot pod, or before the first fix)
    elevation = values["enhanced_altitude"]
    if elevation is None and frame.has_field("altitude"):
        elevation = frame.get_value("altitude", fallback=None)
    reading.current.append(
        (lat * SEMICIRCLE_TO_DEGREES, lon * SEMICIRCLE_TO_DEGREES, timestamp, _float(elevation))
    )


def _placed(reading: _Reading) -> FitContent:
    """The content with every time an aware ``datetime`` (or None), or marked unplaced."""
    content, clues = reading.content, reading.clues
    content.utc_offset_s = clues.offset_s
    placement: Placement | None = None
    if reading.system_span is not None:
        placement = place(clues, *reading.system_span)
        if placement is None:
            content.unplaced = True
            return content
        content.utc_offset_s = placement.offset_s
        content.local_only = placement.local_only
        content.notes = (placement.note,) if placement.note else ()

    def at(value: Raw) -> datetime | None:
        if placement is not None:
            return placement.at(value)
        return value if isinstance(value, datetime) else None

    for session, (start, end) in zip(content.sessions, reading.session_times, strict=True):
        session.start, session.end = at(start), at(end)
    for stretch in reading.stretches:
        label = f"records of timer stretch {len(content.segments) + 1}"
        samples = [Sample(lat, lon, at(time), elevation) for lat, lon, time, elevation in stretch]
        content.segments.append((label, samples))
    return content
