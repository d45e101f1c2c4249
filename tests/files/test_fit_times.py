"""FIT files built by tests/files/fit_builder.py: the encoder itself, and times that count
from when the device was switched on (FIT "system time", below 0x10000000)."""

from __future__ import annotations

import io
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import fitdecode
import pytest

from service.files import FileError
from service.files import imports as uploads
from service.files import read_activity
from service.files import to_coaching_run
from service.files.report import line
from service.storage.models import Athlete
from tests.files.fit_builder import EVENT_ACTIVITY
from tests.files.fit_builder import EVENT_LAP
from tests.files.fit_builder import EVENT_SESSION
from tests.files.fit_builder import EVENT_TYPE_STOP
from tests.files.fit_builder import FILE_ACTIVITY
from tests.files.fit_builder import MANUFACTURER_GARMIN
from tests.files.fit_builder import SPORT_RUNNING
from tests.files.fit_builder import SYSTEM_TIME_LIMIT
from tests.files.fit_builder import FitBuilder
from tests.files.fit_builder import crc16
from tests.files.test_import import add_athlete
from tests.files.test_import import rows

CANNOT_PLACE = (
    "not a recorded run: its times count from when the device was switched on, "
    "and it carries no clock time to place them"
)
# The foot-pod run: 10.2 km, 63 minutes on the timer, 64 minutes from start to save.
DISTANCE_M, TIMER_S, ELAPSED_S = 10_200.0, 63 * 60, 64 * 60
POWER_ON_S = 4_000  # system time when the run starts: about an hour after switching on
LOCAL_START = datetime(2009, 3, 14, 7, 30)  # the device's wall clock, no zone
EAST_OF_UTC = timedelta(hours=-5)  # the runner's clock: UTC-05:00
UTC_START = (LOCAL_START - EAST_OF_UTC).replace(tzinfo=UTC)


def foot_pod_run(
    *,
    local: datetime | int | None = LOCAL_START + timedelta(seconds=ELAPSED_S),
    created: datetime | int | None = None,
    correlation: dict[str, Any] | None = None,
    session: bool = True,
    elapsed_s: int = ELAPSED_S,
) -> bytes:
    """A Forerunner-era run without GPS: a foot pod's distance on records in system time."""
    start, end = POWER_ON_S, POWER_ON_S + elapsed_s
    fit = FitBuilder(protocol=0x10, profile=100)
    file_id: dict[str, Any] = {"type": FILE_ACTIVITY, "manufacturer": MANUFACTURER_GARMIN}
    if created is not None:
        file_id["time_created"] = created
    fit.message("file_id", **file_id)
    step = elapsed_s // 60
    for index in range(61):
        fit.message(
            "record",
            timestamp=start + index * step,
            distance=DISTANCE_M * index / 60,
            speed=DISTANCE_M / TIMER_S,
            heart_rate=150,
        )
    totals = {
        "start_time": start,
        "total_elapsed_time": elapsed_s,
        "total_timer_time": TIMER_S,
        "total_distance": DISTANCE_M,
    }
    fit.message("lap", timestamp=end, event=EVENT_LAP, event_type=EVENT_TYPE_STOP, **totals)
    if session:
        fit.message(
            "session",
            timestamp=end,
            event=EVENT_SESSION,
            event_type=EVENT_TYPE_STOP,
            sport=SPORT_RUNNING,
            sub_sport=0,
            **totals,
        )
    if correlation is not None:
        fit.message("timestamp_correlation", **correlation)
    activity: dict[str, Any] = {
        "timestamp": end,
        "total_timer_time": TIMER_S,
        "num_sessions": 1,
        "type": 0,
        "event": EVENT_ACTIVITY,
        "event_type": EVENT_TYPE_STOP,
    }
    if local is not None:
        activity["local_timestamp"] = local
    fit.message("activity", **activity)
    return fit.build()


def absolute_run(start: datetime = UTC_START) -> bytes:
    """The same kind of run as a newer device writes it: UTC times, GPS on the records."""
    fit = FitBuilder()
    fit.message("file_id", type=FILE_ACTIVITY, manufacturer=MANUFACTURER_GARMIN, time_created=start)
    for index in range(61):
        fit.message(
            "record",
            timestamp=start + timedelta(seconds=index * 60),
            position_lat=round((47.0 + index * 0.0015) * 2**31 / 180),  # about 167 m a minute
            position_long=round(8.0 * 2**31 / 180),
            altitude=400.0 + index % 3,
            distance=167.0 * index,
        )
    end = start + timedelta(hours=1)
    fit.message(
        "session",
        timestamp=end,
        start_time=start,
        sport=SPORT_RUNNING,
        total_elapsed_time=3600,
        total_timer_time=3600,
        total_distance=10_020.0,
    )
    fit.message("activity", timestamp=end, local_timestamp=(end + EAST_OF_UTC).replace(tzinfo=None))
    return fit.build()


def decoded(data: bytes) -> list[tuple[str, dict[str, Any]]]:
    with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE) as reader:
        return [
            (frame.name, {field.name: field.value for field in frame.fields})
            for frame in reader
            if frame.frame_type == fitdecode.FIT_FRAME_DATA
        ]


# --- the encoder -------------------------------------------------------------------


def test_crc16_is_the_fit_checksum():
    # CRC-16/ARC's check value, and a FIT file's CRC over itself with its CRC is zero.
    assert crc16(b"123456789") == 0xBB3D
    assert crc16(absolute_run()) == 0


def test_the_encoder_round_trips_through_fitdecode():
    messages = decoded(absolute_run())
    names = [name for name, _ in messages]
    assert names == ["file_id"] + ["record"] * 61 + ["session", "activity"]
    file_id, first, last = messages[0][1], messages[1][1], messages[61][1]
    assert file_id["type"] == "activity"
    assert file_id["manufacturer"] == "garmin"
    assert file_id["time_created"] == UTC_START
    assert first["timestamp"] == UTC_START
    assert first["position_lat"] * 180 / 2**31 == pytest.approx(47.0, abs=1e-6)
    assert first["altitude"] == pytest.approx(400.0)
    assert last["timestamp"] == UTC_START + timedelta(hours=1)
    assert last["distance"] == pytest.approx(10_020.0)
    session = messages[-2][1]
    assert session["sport"] == "running"
    assert session["total_timer_time"] == pytest.approx(3600.0)
    assert session["total_distance"] == pytest.approx(10_020.0)


def test_the_encoder_writes_system_time_as_it_is():
    messages = decoded(foot_pod_run())
    record = next(values for name, values in messages if name == "record")
    assert record["timestamp"] == POWER_ON_S  # fitdecode leaves system time an int
    assert "position_lat" not in record


def test_a_built_absolute_file_reads_as_before():
    result = read_activity("run.fit", absolute_run())
    assert result.is_run, result.reason
    assert result.sport_type == "Run"
    assert result.start == UTC_START
    assert result.distance_m == pytest.approx(10_020.0)
    assert result.moving_time_s == 3600
    assert result.elapsed_time_s == 3600
    assert result.timezone == "UTC-05:00"
    assert not result.start_is_local


def test_a_damaged_built_file_is_refused():
    data = bytearray(absolute_run())
    data[40] ^= 0xFF
    with pytest.raises(FileError, match="checksum"):
        read_activity("crc.fit", bytes(data))


# --- device-relative times -----------------------------------------------------------


def test_a_foot_pod_run_in_system_time_reads_on_its_local_clock():
    result = read_activity("fr60.fit", foot_pod_run())
    assert result.recorded
    assert result.is_run, result.reason
    assert result.sport_type == "Run"
    assert result.reason == "running, from the file's sport"
    assert result.distance_m == pytest.approx(DISTANCE_M)
    assert result.moving_time_s == TIMER_S
    assert result.elapsed_time_s == ELAPSED_S
    # The activity was saved at local 08:34; the session started 64 minutes earlier.
    assert result.start_is_local
    assert result.start == LOCAL_START.replace(tzinfo=UTC)
    assert result.utc_offset_s is None
    assert result.points == 61
    assert any("local clock only" in note for note in result.notes)
    assert line("fr60.fit", result, None, "metric").endswith(
        "2009-03-14 07:30 local time; the file gives its times on the device's "
        "local clock only, without UTC"
    )


@pytest.mark.parametrize(
    "created",
    [
        UTC_START,  # written when the recording started (the FIT SDK's sample)
        UTC_START + timedelta(seconds=ELAPSED_S - 5),  # written when it was saved (a fenix 2)
    ],
)
def test_the_creation_time_gives_utc_and_the_offset(created):
    result = read_activity("fr60.fit", foot_pod_run(created=created))
    assert result.is_run, result.reason
    assert not result.start_is_local
    assert result.start == UTC_START
    assert result.timezone == "UTC-05:00"
    assert "the UTC time comes from the file's creation time" in result.notes
    assert to_coaching_run(result, "fr60").start == UTC_START


def test_a_creation_time_that_fits_either_end_leaves_the_local_clock():
    # Exactly an hour from start to save: created at the start of a UTC-05:00 run, or
    # at the save of a UTC-06:00 one. The file cannot say which.
    one_hour = foot_pod_run(
        created=UTC_START, elapsed_s=3600, local=LOCAL_START + timedelta(hours=1)
    )
    result = read_activity("fr60.fit", one_hour)
    assert result.is_run
    assert result.start_is_local
    assert result.start == LOCAL_START.replace(tzinfo=UTC)
    assert "its creation time does not tell the UTC offset" in result.notes[0]


def test_a_creation_time_hours_away_is_not_used():
    result = read_activity(
        "fr60.fit", foot_pod_run(created=UTC_START + timedelta(days=3, minutes=7))
    )
    assert result.start_is_local
    assert result.start == LOCAL_START.replace(tzinfo=UTC)


def test_a_timestamp_correlation_places_system_time_exactly():
    correlation = {
        "timestamp": UTC_START + timedelta(seconds=600),
        "system_timestamp": POWER_ON_S + 600,
        "local_timestamp": LOCAL_START + timedelta(seconds=600),
    }
    result = read_activity("fr.fit", foot_pod_run(local=None, correlation=correlation))
    assert result.is_run, result.reason
    assert result.start == UTC_START
    assert result.timezone == "UTC-05:00"
    assert not result.start_is_local
    assert not result.notes


@pytest.mark.parametrize(
    "kwargs",
    [
        {"local": None},  # no local timestamp, no UTC time anywhere
        {"local": 5_000},  # a local timestamp that is itself system time
        {"local": None, "created": 3_000},  # a creation time in system time too
    ],
)
def test_times_that_cannot_be_placed_say_so(kwargs):
    result = read_activity("fr.fit", foot_pod_run(**kwargs))
    assert not result.recorded
    assert result.reason == CANNOT_PLACE
    assert result.start is None
    assert result.points == 61


def test_a_creation_time_alone_does_not_place_system_times():
    # time_created is one moment near the run, not paired with any system time.
    result = read_activity("fr.fit", foot_pod_run(local=None, created=UTC_START))
    assert result.reason == CANNOT_PLACE


def test_records_without_positions_or_a_session_are_not_called_no_records():
    result = read_activity("fr.fit", foot_pod_run(session=False))
    assert not result.recorded
    assert "no records" not in result.reason
    assert result.reason == (
        "not a recorded run: its 61 records carry no position, and no session gives its totals"
    )


def test_the_system_time_limit_is_the_fit_one():
    assert SYSTEM_TIME_LIMIT == 268_435_456
    just_below = foot_pod_run(local=SYSTEM_TIME_LIMIT - 1)
    assert read_activity("fr.fit", just_below).reason == CANNOT_PLACE


# --- importing a run that knows only its local clock ----------------------------------


@pytest.mark.parametrize(
    ("zone", "offset_s"),
    # New York was on daylight time from 8 March 2009.
    [("America/New_York", -4 * 3600), ("Europe/Paris", 3600), (None, 0)],
)
def test_an_import_reads_a_local_clock_in_the_athletes_zone(deps, zone, offset_s):
    add_athlete(deps, 5151)
    with deps.session_factory() as session:
        session.get(Athlete, 5151).timezone = zone
        session.commit()

    [result] = uploads.import_files(deps, 5151, [("fr60.fit", foot_pod_run())])

    assert result.status == "imported", result.detail
    [row] = rows(deps, 5151)
    start = LOCAL_START.replace(tzinfo=UTC) - timedelta(seconds=offset_s)
    assert row.start.replace(tzinfo=UTC) == start
    assert row.utc_offset_s == offset_s
    assert result.run is not None
    assert result.run.local_start == LOCAL_START


def test_gps_records_in_system_time_are_placed_too():
    # No session: the records' positions and placed times give the run.
    fit = FitBuilder(protocol=0x10, profile=100)
    fit.message("file_id", type=FILE_ACTIVITY)
    for index in range(61):
        fit.message(
            "record",
            timestamp=POWER_ON_S + index * 10,
            position_lat=round((47.0 + index * 0.0003) * 2**31 / 180),  # 3.3 m/s
            position_long=round(8.0 * 2**31 / 180),
        )
    saved = LOCAL_START + timedelta(minutes=10)
    fit.message("activity", timestamp=POWER_ON_S + 600, local_timestamp=saved)
    result = read_activity("gps.fit", fit.build())
    assert result.is_run, result.reason
    assert result.start_is_local
    assert result.start == LOCAL_START.replace(tzinfo=UTC)
    assert result.elapsed_time_s == 600
    assert result.moving_time_s == 600
    assert result.distance_m == pytest.approx(2001, rel=0.01)
