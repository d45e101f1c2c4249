"""GPX 1.0 and 1.1: a hardened streaming check with defusedxml first, then gpxpy.

The order matters. gpxpy parses with the standard library's ElementTree and
builds the whole tree, so nothing reaches it before a first pass has shown that
the text decodes, is well-formed XML without a DTD, entities or external
references, has a ``<gpx>`` root, and stays under the point, element and depth
limits. That pass keeps no tree: its memory does not grow with the file.
"""

from __future__ import annotations

import codecs
import re
import threading
import xml.etree.ElementTree as StdET  # only to restore the namespace registry
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from typing import Any

import gpxpy
import gpxpy.gpx
from defusedxml import DefusedXmlException
from defusedxml import DTDForbidden
from defusedxml import EntitiesForbidden
from defusedxml import ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser
from defusedxml.ElementTree import ParseError

from service.files._common import FileError
from service.files._common import Limits
from service.files._common import stated_offset
from service.files._track import Sample

_DECLARATION = re.compile(rb"""^<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_POINT_TAGS = frozenset({"trkpt", "rtept", "wpt"})
_CHUNK = 1 << 20

# gpxpy looks for namespace declarations with a regular expression over the whole
# text (r'\sxmlns:?[^=]*="[^"]+"'). Each "xmlns" costs a scan up to the next "=",
# so text full of "xmlns" and no "=" would take quadratic time. Real files cost a
# few characters per declaration.
_XMLNS = re.compile(r"\sxmlns")
_MAX_XMLNS_SCAN = 2_000_000

# gpxpy registers every namespace prefix it finds in ElementTree's global
# registry; a long-running web process must not grow it with every upload.
_REGISTRY_LOCK = threading.Lock()


def _encoding(data: bytes) -> str:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec
    match = _DECLARATION.match(data)
    return match.group(1).decode("ascii") if match else "utf-8"


def decode(data: bytes) -> str:
    """The text of the file, in the encoding its BOM or XML declaration names (UTF-8 otherwise)."""
    codec = _encoding(data)
    try:
        info = codecs.lookup(codec)
    except LookupError:
        raise FileError(f"the file declares an unknown encoding {codec!r}") from None
    # Python also names transforms (rot13, zlib, base64, uu) as codecs; XML means text.
    if not getattr(info, "_is_text_encoding", True):
        raise FileError(f"the file declares {codec!r}, which is not a text encoding")
    try:
        text = data.decode(info.name)
    except UnicodeDecodeError as error:
        bad = data[error.start : error.start + 1].hex()
        raise FileError(
            f"not valid {codec} text: byte 0x{bad} at offset {error.start} "
            "(is the encoding in the XML declaration right?)"
        ) from None
    except (UnicodeError, ValueError) as error:  # punycode and its kind fail otherwise
        raise FileError(f"cannot be read as {codec} text ({error})") from None
    return text.removeprefix("\ufeff")


class _Scan:
    """An ElementTree parser target that only counts (no tree is built)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.root: str | None = None
        self.stack: list[str] = []
        self.elements = 0
        self.counts = dict.fromkeys(_POINT_TAGS, 0)
        self.trkpt_times = 0  # <time> elements of track points

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.elements += 1
        local = tag.rpartition("}")[2]
        if local == "time" and self.stack and self.stack[-1] == "trkpt":
            self.trkpt_times += 1
        self.stack.append(local)
        if self.root is None:
            self.root = local
            if local != "gpx":
                hint = " (a TCX file? only GPX and FIT are read)" if "Training" in local else ""
                raise FileError(f"not a GPX file: the root element is <{local}>{hint}")
        if len(self.stack) > self.limits.max_depth:
            raise FileError(f"elements are nested more than {self.limits.max_depth} deep")
        if self.elements > self.limits.max_elements:
            raise FileError(f"more than {self.limits.max_elements:,} XML elements")
        if local in _POINT_TAGS:
            self.counts[local] += 1
            if sum(self.counts.values()) > self.limits.max_points:
                raise FileError(f"more than {self.limits.max_points:,} points")

    def end(self, tag: str) -> None:
        self.stack.pop()

    def data(self, text: str) -> None:
        pass

    def close(self) -> None:
        return None


def scan(text: str, limits: Limits) -> _Scan:
    """Check the XML with defusedxml, streaming, and count what it holds."""
    target = _Scan(limits)
    parser = DefusedXMLParser(
        target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    try:
        for offset in range(0, len(text), _CHUNK):
            parser.feed(text[offset : offset + _CHUNK])
        parser.close()
    except DTDForbidden:
        raise FileError(
            "the file has a document type declaration (<!DOCTYPE>), which GPX never needs; "
            "refused because it can define entities"
        ) from None
    except EntitiesForbidden:
        raise FileError("the file defines XML entities; refused") from None
    except ExternalReferenceForbidden:
        raise FileError("the file refers to external XML resources; refused") from None
    except DefusedXmlException as error:
        raise FileError(f"refused unsafe XML: {type(error).__name__}") from None
    except ParseError as error:
        line, column = error.position
        problem = str(error).split(":", 1)[0]
        truncated = (
            " (the file looks cut short)" if problem.startswith(("no element", "unclosed")) else ""
        )
        raise FileError(
            f"not valid XML: {problem} at line {line}, column {column}{truncated}"
        ) from None
    if target.root is None:
        raise FileError("not valid XML: no root element")
    return target


def _xmlns_scan_cost(text: str) -> int:
    cost = 0
    next_equals = -1
    for match in _XMLNS.finditer(text):
        position = match.end()
        if next_equals < position:
            next_equals = text.find("=", position)
            if next_equals < 0:
                next_equals = len(text)
        cost += next_equals - position
    return cost


def parse(text: str) -> gpxpy.gpx.GPX:
    """Hand checked text to gpxpy."""
    if _xmlns_scan_cost(text) > _MAX_XMLNS_SCAN:
        raise FileError("the file repeats 'xmlns' in a way that would stall the GPX reader")
    with _REGISTRY_LOCK:
        registry: dict[str, str] = StdET._namespace_map  # type: ignore[attr-defined]
        saved = dict(registry)
        try:
            return gpxpy.parse(text)
        except gpxpy.gpx.GPXException as error:
            raise FileError(f"not a valid GPX file: {error}") from None
        except (ValueError, TypeError) as error:
            raise FileError(f"not a valid GPX file: a value is malformed ({error})") from None
        finally:
            registry.clear()
            registry.update(saved)


def utc(moment: datetime | None) -> datetime | None:
    """GPX times are UTC; a time written without an offset is taken as UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        # gpxpy keeps an offset such as +99:99 that no real clock has, and year 1 or 9999
        # with an offset cannot move to UTC.
        local = moment.replace(tzinfo=None).isoformat()  # the offset is what is wrong
        raise FileError(f"a point's time ({local}, with its offset) has no place in UTC") from None


def utc_offset_s(gpx: gpxpy.gpx.GPX) -> int | None:
    """The offset of the first timed point, when the file writes it as non-zero.

    Most GPX writers use UTC ("Z"), which says nothing about the athlete's clock.
    """
    for point in _track_points(gpx):
        if point.time is not None:
            offset = point.time.utcoffset()
            return stated_offset(offset.total_seconds() if offset is not None else None)
    return None


def _track_points(gpx: gpxpy.gpx.GPX) -> Iterator[Any]:
    for track in gpx.tracks:
        for segment in track.segments:
            yield from segment.points


def segments(gpx: gpxpy.gpx.GPX) -> list[tuple[str, list[Sample]]]:
    out: list[tuple[str, list[Sample]]] = []
    for t, track in enumerate(gpx.tracks, start=1):
        for s, segment in enumerate(track.segments, start=1):
            out.append(
                (
                    f"track {t}, segment {s}",
                    [
                        Sample(p.latitude, p.longitude, utc(p.time), p.elevation)
                        for p in segment.points
                    ],
                )
            )
    return out


def track_type(gpx: gpxpy.gpx.GPX) -> str | None:
    """The first non-empty ``<type>`` of a track that has points."""
    for track in gpx.tracks:
        if track.type and track.type.strip() and track.get_points_no():
            return track.type.strip()
    return None
