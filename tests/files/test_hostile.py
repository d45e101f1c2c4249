"""Hostile and broken files, built here: each gets a clear FileError, and memory stays bounded."""

from __future__ import annotations

import time
import tracemalloc
import xml.etree.ElementTree as StdET
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest

from service.files import MB
from service.files import FileError
from service.files import Limits
from service.files import RequestBudget
from service.files import read_activity
from service.files import read_path
from tests.files.builders import HEAD
from tests.files.builders import OPEN
from tests.files.builders import START
from tests.files.builders import gpx
from tests.files.builders import points
from tests.files.builders import run_gpx
from tests.files.builders import trkpt

FIT_DIR = Path(__file__).parent / "fixtures" / "fit"


def refused(data: bytes, match: str, limits: Limits | None = None) -> FileError:
    with pytest.raises(FileError, match=match) as caught:
        read_activity("hostile.gpx", data, limits)
    return caught.value


def test_a_built_run_reads():
    result = read_activity("run.gpx", run_gpx())
    assert result.is_run
    assert result.sport_type == "Run"
    assert result.moving_time_s == 600
    assert result.distance_m == pytest.approx(60 * 33.36, rel=0.01)


# --- XML attacks -------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE gpx [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + ']>\n<gpx version="1.1"><trk><name>&lol9;</name></trk></gpx>\n'
)


def test_billion_laughs_is_refused_quickly_and_small():
    tracemalloc.start()
    began = time.perf_counter()
    try:
        refused(BILLION_LAUGHS.encode(), "document type declaration")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - began < 1
    assert peak < 2 * MB


def test_external_entity_is_refused_without_reading_it():
    data = (
        b'<?xml version="1.0"?>\n<!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        b'<gpx version="1.1"><trk><name>&x;</name></trk></gpx>'
    )
    error = refused(data, "document type declaration")
    assert "root:" not in str(error)


def test_any_dtd_is_refused():
    data = f'{HEAD}<!DOCTYPE gpx SYSTEM "http://example.com/gpx.dtd">{OPEN}</gpx>'.encode()
    refused(data, "DOCTYPE")


def test_undefined_entity_is_not_valid_xml():
    refused(f"{HEAD}{OPEN}<trk><name>&nope;</name></trk></gpx>".encode(), "undefined entity")


def test_namespace_scan_bomb_is_refused_fast():
    # gpxpy's namespace regex would scan from every "xmlns" to the next "=".
    data = f"{HEAD}{OPEN}<metadata><desc>{' xmlns' * 100_000}</desc></metadata></gpx>".encode()
    began = time.perf_counter()
    refused(data, "xmlns")
    assert time.perf_counter() - began < 2


def test_namespace_registry_is_left_as_it_was():
    before = dict(StdET._namespace_map)
    head = '<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1" xmlns:zz="urn:postrun:x">'
    read_activity("ns.gpx", (HEAD + head + "</gpx>").encode())
    assert dict(StdET._namespace_map) == before


def test_deep_nesting_is_refused():
    deep = "<extensions>" + "<a>" * 100 + "</a>" * 100 + "</extensions>"
    refused(f"{HEAD}{OPEN}{deep}</gpx>".encode(), "nested more than 64 deep")


def test_element_cap():
    many = "<extensions>" + "<a/>" * 1001 + "</extensions>"
    refused(
        f"{HEAD}{OPEN}{many}</gpx>".encode(),
        "more than 1,000 XML elements",
        Limits(max_elements=1000),
    )


# --- size and point limits ---------------------------------------------------


def test_oversize_bytes_are_refused_before_parsing():
    data = run_gpx()
    refused(data, r"too large: .* the limit is 1000 bytes", Limits(max_bytes=1000))


def test_a_30_mb_file_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.gpx"
    with big.open("wb") as handle:
        handle.truncate(30 * MB)  # sparse: costs no disk and no time
    tracemalloc.start()
    try:
        with pytest.raises(FileError, match=r"too large: 30 MB, the limit is 25 MB"):
            read_path(big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 * MB


def test_too_many_points():
    refused(run_gpx(11), "more than 10 points", Limits(max_points=10))


def test_point_cap_is_checked_before_gpxpy_builds_a_tree():
    data = run_gpx(40_000)  # about 3 MB
    tracemalloc.start()
    try:
        refused(data, "more than 1,000 points", Limits(max_points=1000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The decoded text (3 MB) and a 1 MB parse buffer; a tree would take tens of MB.
    assert peak < len(data) + 4 * MB


def test_request_budget():
    budget = RequestBudget(Limits(max_request_bytes=100))
    budget.charge(60)
    with pytest.raises(FileError, match="limit of 100 bytes for one request"):
        budget.charge(41)
    budget.charge(40)
    assert budget.used == 100


def test_limits_must_be_positive():
    with pytest.raises(ValueError, match="max_points"):
        Limits(max_points=0)


# --- broken files ------------------------------------------------------------


def test_empty_file():
    refused(b"", "the file is empty")
    refused(b" \n\t", "the file is empty")


def test_truncated_xml():
    data = run_gpx()
    refused(data[: len(data) // 2], r"not valid XML: .* \(the file looks cut short\)")


def test_binary_garbage():
    refused(bytes(range(256)) * 40, "not a GPX or FIT file")


def test_garbage_after_a_bracket():
    refused(b"<\xff\xfe\x00garbage", "not valid utf-8 text: byte 0xff at offset 1")


def test_not_a_gpx_root():
    refused(f"{HEAD}<kml></kml>".encode(), r"not a GPX file: the root element is <kml>")
    refused(
        f"{HEAD}<TrainingCenterDatabase/>".encode(),
        r"root element is <TrainingCenterDatabase> \(a TCX file",
    )


def test_bad_time_and_bad_coordinate_text():
    bad_time = f'{HEAD}{OPEN}<trk><trkseg><trkpt lat="1" lon="1"><time>yesterday</time>'
    refused(
        (bad_time + "</trkpt></trkseg></trk></gpx>").encode(), "1 track point time is not a valid"
    )
    bad_lat = f'{HEAD}{OPEN}<trk><trkseg><trkpt lat="north" lon="1"/></trkseg></trk></gpx>'
    refused(bad_lat.encode(), "not a valid GPX file")


# --- encodings ---------------------------------------------------------------


def test_utf16_with_a_byte_order_mark_reads():
    text = gpx(points(61)).replace('encoding="UTF-8"', 'encoding="UTF-16"')
    assert read_activity("u16.gpx", text.encode("utf-16")).is_run


def test_utf16_without_a_byte_order_mark_is_explained():
    text = gpx(points(61)).replace('encoding="UTF-8"', 'encoding="UTF-16"')
    refused(text.encode("utf-16-le"), "UTF-16 text without a byte-order mark")


def test_wrong_declared_encoding():
    text = gpx(points(3)).replace("<trk>", "<trk><name>Lauf am Zürichsee</name>")
    refused(
        text.encode("latin-1"), r"not valid UTF-8 text: byte 0xfc at offset \d+ \(is the encoding"
    )


def test_declared_latin1_reads():
    text = gpx(points(61)).replace("<trk>", "<trk><name>Lauf am Zürichsee</name>")
    text = text.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    assert read_activity("latin1.gpx", text.encode("latin-1")).is_run


def test_unknown_declared_encoding():
    text = gpx(points(3)).replace('encoding="UTF-8"', 'encoding="x-made-up"')
    refused(text.encode(), "unknown encoding 'x-made-up'")


@pytest.mark.parametrize(
    ("codec", "match"),
    [
        ("rot13", "'rot13', which is not a text encoding"),
        ("zlib_codec", "'zlib_codec', which is not a text encoding"),
        ("base64", "'base64', which is not a text encoding"),
        ("punycode", "cannot be read as punycode text"),
    ],
)
def test_codecs_that_are_not_text_encodings_are_refused(codec, match):
    text = gpx(points(3)).replace('encoding="UTF-8"', f'encoding="{codec}"')
    refused(text.encode(), match)


@pytest.mark.parametrize("offset", ["+99:99", "-24:00", "+24:30"])
def test_an_offset_no_clock_has_is_refused(offset):
    text = gpx(points(61)).replace("Z</time>", f"{offset}</time>")
    refused(text.encode(), "has no place in UTC")


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    import os

    fifo = tmp_path / "run.gpx"
    os.mkfifo(fifo)

    with pytest.raises(FileError, match="not a regular file"):
        read_path(fifo)


# --- coordinates and times ---------------------------------------------------


def test_out_of_range_points_are_skipped_and_never_bridged():
    good = points(61)
    bad = [*good[:30], (100.0, 8.0, good[30][2]), (47.0, 200.0, good[31][2]), *good[32:]]
    result = read_activity("marks.gpx", gpx(bad).encode())
    assert result.skipped_points == 2
    assert result.notes == ("skipped 2 points with coordinates out of range",)
    # The three stretches around the two bad points are left out, not bridged.
    assert result.distance_m == pytest.approx(57 * 33.36, rel=0.01)


def test_nan_coordinates_count_as_out_of_range():
    good = points(10)
    data = gpx([*good, (float("nan"), 8.0, None)]).encode()
    assert read_activity("nan.gpx", data).skipped_points == 1


def test_all_points_out_of_range():
    data = gpx([(91.0, 8.0, START), (95.0, 8.0, START + timedelta(seconds=5))]).encode()
    refused(data, "no usable points: all 2 have coordinates out of range")


def test_times_going_backwards_are_refused_with_the_place():
    seq = points(20)
    seq[12] = (seq[12][0], seq[12][1], START - timedelta(minutes=1))
    refused(
        gpx(seq).encode(),
        r"times go backwards in track 1, segment 1 at point 13: "
        r"2024-05-04T06:59:00Z comes after 2024-05-04T07:01:50Z",
    )


def test_equal_times_are_not_backwards():
    seq = points(61)
    seq.insert(5, seq[5])
    assert read_activity("dup.gpx", gpx(seq).encode()).is_run


@pytest.mark.parametrize(
    ("start", "why"),
    [
        (datetime(1970, 1, 1, tzinfo=UTC), "the times start on 1970-01-01, a placeholder date"),
        (datetime(1899, 12, 30, tzinfo=UTC), "the times start on 1899-12-30"),
        (datetime(2000, 1, 1, tzinfo=UTC), "2000-01-01 00:00, a placeholder"),
        (datetime(2150, 1, 1, tzinfo=UTC), "the times reach 2150-01-01"),
    ],
)
def test_placeholder_times_are_not_a_recorded_run(start, why):
    result = read_activity("clock.gpx", gpx(points(61, start=start)).encode())
    assert not result.recorded
    assert result.reason.startswith("not a recorded run: ")
    assert why in result.reason


def test_one_time_for_every_point():
    result = read_activity("same.gpx", gpx(points(61, step_s=0)).encode())
    assert result.reason == "not a recorded run: every point has the same time, a placeholder"


def test_untimed_and_half_timed_tracks():
    untimed = [(lat, lon, None) for lat, lon, _ in points(20)]
    result = read_activity("plan.gpx", gpx(untimed).encode())
    assert result.reason == "not a recorded run: no timestamps on the points (a planned route?)"
    mostly = points(20)
    mostly[11:] = [(lat, lon, None) for lat, lon, _ in mostly[11:]]
    assert read_activity("most.gpx", gpx(mostly).encode()).recorded
    mostly[9:] = [(lat, lon, None) for lat, lon, _ in mostly[9:]]
    assert not read_activity("few.gpx", gpx(mostly).encode()).recorded


def test_pauses_within_a_segment_are_not_moving_time():
    seq = points(31) + points(31, start=START + timedelta(minutes=30))
    # Same place for the 25 minutes between the two halves: a pause.
    seq[31:] = [(lat + 30 * 0.0003, lon, t) for lat, lon, t in seq[31:]]
    result = read_activity("pause.gpx", gpx(seq).encode())
    assert result.moving_time_s == 600
    assert result.elapsed_time_s == 30 * 60 + 300


@pytest.mark.parametrize(
    ("kind", "run", "sport_type"),
    [
        ("running", True, "Run"),
        ("Run", True, "Run"),
        ("trail_running", True, "TrailRun"),
        ("9", True, "Run"),
        ("cycling", False, "Ride"),
        ("1", False, "Ride"),
        ("Walk", False, "Walk"),
        ("mountaineering", False, None),
    ],
)
def test_the_files_type_decides(kind, run, sport_type):
    result = read_activity("t.gpx", gpx(points(61), kind=kind).encode())
    assert result.is_run is run
    assert result.sport_type == sport_type


@pytest.mark.parametrize(
    ("step_deg", "run", "words"),
    [
        (0.00005, False, "walking pace"),  # 0.56 m/s
        (0.0003, True, "running pace"),  # 3.3 m/s
        (0.0009, False, "faster than running"),  # 10 m/s
    ],
)
def test_without_a_type_the_pace_decides(step_deg, run, words):
    result = read_activity("p.gpx", gpx(points(61, step_deg=step_deg)).encode())
    assert result.is_run is run
    assert words in result.reason


def test_local_offsets_are_converted_to_utc():
    body = "".join(
        f'<trkpt lat="{47 + i * 0.0003}" lon="8">'
        f"<time>2024-05-04T09:{i:02d}:00+02:00</time></trkpt>"
        for i in range(20)
    )
    data = f"{HEAD}{OPEN}<trk><trkseg>{body}</trkseg></trk></gpx>".encode()
    result = read_activity("tz.gpx", data)
    assert result.start == datetime(2024, 5, 4, 7, 0, tzinfo=UTC)
    assert result.timezone == "UTC+02:00"


def test_trkpt_builder_without_time():
    assert trkpt(1.0, 2.0, None) == '<trkpt lat="1.0" lon="2.0"></trkpt>'


# --- FIT ---------------------------------------------------------------------


def fit_bytes(name: str = "garmin-fr110_run_hr_gps_2013.fit") -> bytes:
    return (FIT_DIR / name).read_bytes()


def test_truncated_fit():
    data = fit_bytes()
    with pytest.raises(FileError, match=r"the FIT file is truncated: its header announces"):
        read_activity("cut.fit", data[: len(data) // 2])


def test_fit_with_a_bad_checksum():
    data = bytearray(fit_bytes())
    data[-1] ^= 0xFF
    with pytest.raises(FileError, match="checksum does not match"):
        read_activity("crc.fit", bytes(data))


def test_fit_with_a_bad_header():
    data = bytearray(fit_bytes())
    data[0] = 7
    with pytest.raises(FileError, match="header size 7"):
        read_activity("head.fit", bytes(data))


def test_fit_with_garbage_inside():
    data = bytearray(fit_bytes())
    data[100:400] = bytes(range(256)) + bytes(44)
    with pytest.raises(FileError, match=r"FIT"):
        read_activity("mess.fit", bytes(data))


def test_fit_record_cap():
    with pytest.raises(FileError, match="more than 100 points"):
        read_activity("many.fit", fit_bytes(), Limits(max_points=100))


def test_format_is_read_from_the_content_not_the_name():
    assert read_activity("run.gpx", fit_bytes()).format == "fit"
    assert read_activity("run.fit", run_gpx()).format == "gpx"
