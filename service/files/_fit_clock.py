"""Placing a FIT file's times: UTC, the device's local clock, or system time.

The FIT profile's ``date_time`` counts seconds from the FIT epoch, 1989-12-31
00:00 UTC. A value below 0x10000000 (268,435,456 s, about 8.5 years) is *system
time* instead: seconds since the device was switched on. fitdecode turns the
first kind into an aware ``datetime`` and leaves the second as an ``int``.
``local_date_time`` counts the same way on the device's own wall clock (fitdecode
labels it UTC, which it is not).

Older devices that had no clock fix when a run started write system time on the
records, the laps and the session. What places those times on a clock:

- a ``timestamp_correlation`` message: a system time with its UTC time (and its
  local time), which places them exactly;
- the ``activity`` message: its ``timestamp`` and ``local_timestamp`` are one
  instant, the second "used to convert activity timestamps to local time" (FIT
  profile). When the first is system time, the pair places the file's system
  times on the local clock, and the UTC offset is still unknown.

The UTC offset then comes from a message that carries both a UTC and a local time
for one instant, or else from the file's ``time_created`` (UTC): devices write it
when the recording starts or when it is saved, so it is matched against both ends
of the run and must fall within two minutes of a whole quarter hour from one of
them (every time zone is a whole number of quarter hours). Two different answers,
or none, leave the file on its local clock.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC
from datetime import datetime
from datetime import timedelta

FIT_EPOCH = datetime(1989, 12, 31, tzinfo=UTC)
SYSTEM_TIME_LIMIT = 0x10000000
QUARTER_HOUR_S = 15 * 60
CREATED_SLACK_S = 120
MAX_OFFSET_S = 14 * 3600

CANNOT_PLACE = (
    "its times count from when the device was switched on, "
    "and it carries no clock time to place them"
)

# A FIT date_time as fitdecode gives it: a datetime when absolute, an int for system time.
Raw = datetime | int | None


def is_system_time(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value < SYSTEM_TIME_LIMIT


def local_clock(value: object) -> datetime | None:
    """A ``local_date_time`` as fitdecode gives it, or None when it is itself system time."""
    if not isinstance(value, datetime):
        return None
    if (value - FIT_EPOCH).total_seconds() < SYSTEM_TIME_LIMIT:
        return None
    return value


@dataclasses.dataclass
class Clues:
    """Everything in the file that ties its system times to a clock."""

    utc_pairs: list[tuple[int, datetime]] = dataclasses.field(default_factory=list)
    local_pairs: list[tuple[int, datetime]] = dataclasses.field(default_factory=list)
    offsets_s: list[float] = dataclasses.field(default_factory=list)  # local minus UTC
    created: datetime | None = None  # file_id.time_created, when it is a UTC time

    def instant(self, timestamp: Raw, local: object) -> None:
        """A message's ``timestamp`` and ``local_timestamp``, when both denote one instant."""
        wall = local_clock(local)
        if wall is None:
            return
        if isinstance(timestamp, datetime):
            self.offsets_s.append((wall - timestamp).total_seconds())
        elif is_system_time(timestamp):
            assert isinstance(timestamp, int)
            self.local_pairs.append((timestamp, wall))

    def correlation(self, system: Raw, utc: Raw, local: object) -> None:
        """A ``timestamp_correlation`` message."""
        if is_system_time(system) and isinstance(utc, datetime):
            assert isinstance(system, int)
            self.utc_pairs.append((system, utc))
        if is_system_time(system):
            assert isinstance(system, int)
            wall = local_clock(local)
            if wall is not None:
                self.local_pairs.append((system, wall))
        if isinstance(utc, datetime):
            self.instant(utc, local)

    @property
    def offset_s(self) -> float | None:
        """The local clock's offset from UTC, from one instant the file gives in both."""
        return self.offsets_s[0] if self.offsets_s else None


@dataclasses.dataclass(frozen=True, slots=True)
class Placement:
    """System time ``base_s`` is the moment ``base``: UTC, or the local wall clock when
    ``local_only`` (labelled UTC, as fitdecode labels local times)."""

    base_s: int
    base: datetime
    local_only: bool
    offset_s: float | None
    note: str | None = None

    def at(self, value: Raw) -> datetime | None:
        if isinstance(value, datetime):
            return value
        if is_system_time(value):
            assert isinstance(value, int)
            return self.base + timedelta(seconds=value - self.base_s)
        return None


def place(clues: Clues, first_s: int, last_s: int) -> Placement | None:
    """Where the system times ``first_s`` (start of the run) to ``last_s`` sit; None if nowhere."""
    if clues.utc_pairs:
        system, utc = clues.utc_pairs[0]
        offset = clues.offset_s
        if offset is None and clues.local_pairs:
            local_system, wall = clues.local_pairs[0]
            offset = (
                (wall - timedelta(seconds=local_system)) - (utc - timedelta(seconds=system))
            ).total_seconds()
        return Placement(system, utc, False, offset)
    if not clues.local_pairs:
        return None
    system, wall = clues.local_pairs[0]
    if clues.offset_s is not None:
        return Placement(system, wall - timedelta(seconds=clues.offset_s), False, clues.offset_s)
    local = Placement(system, wall, True, None)
    if clues.created is None:
        return dataclasses.replace(local, note=_LOCAL_ONLY)
    ends = [local.at(first_s), local.at(last_s)]
    offsets = {_quarter(end - clues.created) for end in ends if end is not None} - {None}
    if len(offsets) != 1:
        return dataclasses.replace(
            local, note=_LOCAL_ONLY + "; its creation time does not tell the UTC offset"
        )
    offset = offsets.pop()
    assert offset is not None
    return Placement(
        system,
        wall - timedelta(seconds=offset),
        False,
        offset,
        note="the UTC time comes from the file's creation time",
    )


_LOCAL_ONLY = "the file gives its times on the device's local clock only, without UTC"


def _quarter(delta: timedelta) -> float | None:
    """``delta`` as a time zone offset: within the slack of a quarter hour, at most 14 h."""
    seconds = delta.total_seconds()
    nearest = round(seconds / QUARTER_HOUR_S) * QUARTER_HOUR_S
    if abs(seconds - nearest) > CREATED_SLACK_S or abs(nearest) > MAX_OFFSET_S:
        return None
    return float(nearest)
