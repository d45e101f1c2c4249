"""A small FIT encoder for the tests: the header, definition and data messages, and the CRCs.

Only what the tests need: little-endian messages, normal record headers (no
compressed timestamps, no developer fields), and the few messages and fields an
activity file carries. Values go in as the FIT profile's units (metres, seconds);
the builder applies each field's scale and offset. A ``datetime`` is written as a
FIT ``date_time`` (seconds since 1989-12-31 00:00 UTC); a plain ``int`` in a time
field is written as it is, which is how a test writes system time (seconds since
the device was switched on, below 0x10000000).

    data = (
        FitBuilder()
        .message("file_id", type=FILE_ACTIVITY, time_created=start)
        .message("record", timestamp=start, distance=0.0)
        .build()
    )
"""

from __future__ import annotations

import struct
from datetime import UTC
from datetime import datetime
from typing import Any

FIT_EPOCH = datetime(1989, 12, 31, tzinfo=UTC)
SYSTEM_TIME_LIMIT = 0x10000000

# Enum values of the FIT profile the tests use.
FILE_ACTIVITY = 4
MANUFACTURER_GARMIN = 1
SPORT_RUNNING = 1
SPORT_CYCLING = 2
EVENT_TIMER = 0
EVENT_SESSION = 8
EVENT_LAP = 9
EVENT_ACTIVITY = 26
EVENT_TYPE_START = 0
EVENT_TYPE_STOP = 1
EVENT_TYPE_STOP_ALL = 4

# Base types: (number written in the definition, struct format, invalid value).
ENUM = (0x00, "B", 0xFF)
UINT8 = (0x02, "B", 0xFF)
SINT32 = (0x85, "i", 0x7FFFFFFF)
UINT16 = (0x84, "H", 0xFFFF)
UINT32 = (0x86, "I", 0xFFFFFFFF)
UINT32Z = (0x8C, "I", 0)

BaseType = tuple[int, str, int]
# field name: (field number, base type, scale, offset)
Field = tuple[int, BaseType, float, float]

TIME: Field = (253, UINT32, 1, 0)
MESSAGES: dict[str, tuple[int, dict[str, Field]]] = {
    "file_id": (
        0,
        {
            "type": (0, ENUM, 1, 0),
            "manufacturer": (1, UINT16, 1, 0),
            "product": (2, UINT16, 1, 0),
            "serial_number": (3, UINT32Z, 1, 0),
            "time_created": (4, UINT32, 1, 0),
        },
    ),
    "event": (
        21,
        {"timestamp": TIME, "event": (0, ENUM, 1, 0), "event_type": (1, ENUM, 1, 0)},
    ),
    "record": (
        20,
        {
            "timestamp": TIME,
            "position_lat": (0, SINT32, 1, 0),
            "position_long": (1, SINT32, 1, 0),
            "altitude": (2, UINT16, 5, 500),
            "heart_rate": (3, UINT8, 1, 0),
            "distance": (5, UINT32, 100, 0),
            "speed": (6, UINT16, 1000, 0),
        },
    ),
    "lap": (
        19,
        {
            "timestamp": TIME,
            "event": (0, ENUM, 1, 0),
            "event_type": (1, ENUM, 1, 0),
            "start_time": (2, UINT32, 1, 0),
            "total_elapsed_time": (7, UINT32, 1000, 0),
            "total_timer_time": (8, UINT32, 1000, 0),
            "total_distance": (9, UINT32, 100, 0),
            "sport": (25, ENUM, 1, 0),
        },
    ),
    "session": (
        18,
        {
            "timestamp": TIME,
            "event": (0, ENUM, 1, 0),
            "event_type": (1, ENUM, 1, 0),
            "start_time": (2, UINT32, 1, 0),
            "sport": (5, ENUM, 1, 0),
            "sub_sport": (6, ENUM, 1, 0),
            "total_elapsed_time": (7, UINT32, 1000, 0),
            "total_timer_time": (8, UINT32, 1000, 0),
            "total_distance": (9, UINT32, 100, 0),
        },
    ),
    "activity": (
        34,
        {
            "timestamp": TIME,
            "total_timer_time": (0, UINT32, 1000, 0),
            "num_sessions": (1, UINT16, 1, 0),
            "type": (2, ENUM, 1, 0),
            "event": (3, ENUM, 1, 0),
            "event_type": (4, ENUM, 1, 0),
            "local_timestamp": (5, UINT32, 1, 0),
        },
    ),
    "timestamp_correlation": (
        162,
        {
            "timestamp": TIME,
            "system_timestamp": (1, UINT32, 1, 0),
            "local_timestamp": (3, UINT32, 1, 0),
        },
    ),
}

_CRC_TABLE = (
    0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
    0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
)  # fmt: skip


def crc16(data: bytes, crc: int = 0) -> int:
    """The FIT checksum: CRC-16 with the reflected polynomial 0xA001, a nibble at a time."""
    for byte in data:
        for nibble in (byte & 0x0F, byte >> 4):
            low = _CRC_TABLE[crc & 0x0F]
            crc = ((crc >> 4) & 0x0FFF) ^ low ^ _CRC_TABLE[nibble]
    return crc


def fit_seconds(moment: datetime) -> int:
    """A ``datetime`` as FIT seconds; a naive one is a local wall clock (local_date_time)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return round((aware - FIT_EPOCH).total_seconds())


def _raw(value: Any, field: Field) -> int:
    _, base, scale, offset = field
    if value is None:
        return base[2]
    if isinstance(value, datetime):
        return fit_seconds(value)
    return round((value + offset) * scale)


class FitBuilder:
    """Messages in the order given; a definition is written whenever a message's fields change."""

    def __init__(self, *, protocol: int = 0x20, profile: int = 2132) -> None:
        self.protocol = protocol
        self.profile = profile
        self.body = bytearray()
        self._locals: dict[int, int] = {}  # global message number: local number
        self._defined: dict[int, tuple[str, ...]] = {}  # local number: field names

    def message(self, name: str, **values: Any) -> FitBuilder:
        number, fields = MESSAGES[name]
        names = tuple(values)
        local = self._locals.setdefault(number, len(self._locals))
        if self._defined.get(local) != names:
            self._define(local, number, [fields[n] for n in names])
            self._defined[local] = names
        self.body.append(local)
        for field_name in names:
            field = fields[field_name]
            self.body += struct.pack("<" + field[1][1], _raw(values[field_name], field))
        return self

    def _define(self, local: int, number: int, fields: list[Field]) -> None:
        self.body += struct.pack("<BBBHB", 0x40 | local, 0, 0, number, len(fields))
        for field_number, base, _, _ in fields:
            self.body += struct.pack("<BBB", field_number, struct.calcsize(base[1]), base[0])

    def build(self) -> bytes:
        head = struct.pack("<BBHI4s", 14, self.protocol, self.profile, len(self.body), b".FIT")
        head += struct.pack("<H", crc16(head))
        data = head + bytes(self.body)
        return data + struct.pack("<H", crc16(data))
