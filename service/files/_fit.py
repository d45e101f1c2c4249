"""FIT activity files through fitdecode, streamed: only the few fields postrun needs are kept."""

from __future__ import annotations

import dataclasses
import io
import struct
from datetime import datetime
from typing import Any

import fitdecode

from service.files._common import FileError
from service.files._common import Limits
from service.files._track import Sample

SEMICIRCLE_TO_DEGREES = 180.0 / 2**31


def is_fit(data: bytes) -> bool:
    return len(data) >= 12 and data[8:12] == b".FIT"


@dataclasses.dataclass
class Session:
    start: datetime | None
    distance_m: float | None
    timer_s: float | None
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


def _fields(frame: fitdecode.FitDataMessage, *names: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in names:
        values[name] = frame.get_value(name, fallback=None) if frame.has_field(name) else None
    return values


def read(data: bytes, limits: Limits) -> FitContent:
    """Stream the FIT messages; raise FileError on a broken file or a limit."""
    _check_header(data)
    content = FitContent()
    current: list[Sample] = []
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
                name = frame.name
                if name == "record":
                    content.records += 1
                    if content.records > limits.max_points:
                        raise FileError(f"more than {limits.max_points:,} points")
                    _record(frame, current)
                elif name == "event":
                    values = _fields(frame, "event", "event_type")
                    if values["event"] == "timer" and str(values["event_type"]).startswith("stop"):
                        _close_segment(content, current)
                        current = []
                elif name == "session":
                    values = _fields(
                        frame,
                        "start_time",
                        "total_distance",
                        "total_timer_time",
                        "total_ascent",
                        "sport",
                        "sub_sport",
                    )
                    start = values["start_time"]
                    content.sessions.append(
                        Session(
                            start=start if isinstance(start, datetime) else None,
                            distance_m=_float(values["total_distance"]),
                            timer_s=_float(values["total_timer_time"]),
                            ascent_m=_float(values["total_ascent"]),
                            sport=_text(values["sport"]),
                            sub_sport=_text(values["sub_sport"]),
                        )
                    )
                elif name == "sport":
                    values = _fields(frame, "sport", "sub_sport")
                    content.sport = _text(values["sport"])
                    content.sub_sport = _text(values["sub_sport"])
                elif name == "file_id":
                    content.file_type = _text(_fields(frame, "type")["type"])
                elif name == "activity":
                    values = _fields(frame, "timestamp", "local_timestamp")
                    if isinstance(values["timestamp"], datetime) and isinstance(
                        values["local_timestamp"], datetime
                    ):
                        # fitdecode labels the local time UTC too; the difference is the offset.
                        delta = values["local_timestamp"] - values["timestamp"]
                        content.utc_offset_s = delta.total_seconds()
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
    _close_segment(content, current)
    return content


def _record(frame: fitdecode.FitDataMessage, segment: list[Sample]) -> None:
    values = _fields(frame, "timestamp", "position_lat", "position_long", "enhanced_altitude")
    lat, lon = values["position_lat"], values["position_long"]
    if not isinstance(lat, int) or not isinstance(lon, int):
        return  # no GPS fix for this record (indoors, or before the first fix)
    elevation = values["enhanced_altitude"]
    if elevation is None and frame.has_field("altitude"):
        elevation = frame.get_value("altitude", fallback=None)
    timestamp = values["timestamp"]
    segment.append(
        Sample(
            lat * SEMICIRCLE_TO_DEGREES,
            lon * SEMICIRCLE_TO_DEGREES,
            timestamp if isinstance(timestamp, datetime) else None,
            _float(elevation),
        )
    )


def _close_segment(content: FitContent, segment: list[Sample]) -> None:
    if segment:
        content.segments.append((f"records of timer stretch {len(content.segments) + 1}", segment))
