"""Upload GPX and FIT files on the settings page; they join the signed-in athlete's history.

The body is bounded before anything reads it: this route's request may be at most
``max_request_bytes`` (plus room for the multipart headers), so Werkzeug refuses a
larger one (413) before parsing. Werkzeug spools each uploaded file to a temporary
file; each is then read with ``max_bytes`` as a bound, one at a time. The CSRF
check runs here, after the bound is set, instead of in the app-wide hook that
would parse the body first.

Limits come from ``app.config["POSTRUN_UPLOAD_LIMITS"]`` (a ``Limits``), 25 MB per
file and per request by default. The body is read and parsed only inside one of
the process's upload slots (``service.web.throttle``); without a free slot the
page says to try again in a minute (503).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from flask import Blueprint
from flask import request
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from service.files import FileError
from service.files import Limits
from service.files import human_bytes
from service.files.imports import ImportResult
from service.files.imports import UnknownAthlete
from service.files.imports import import_files
from service.storage.models import Athlete
from service.web.context import deps
from service.web.context import upload_limits
from service.web.security import csrf
from service.web.settings import form_values
from service.web.settings import render_settings
from service.web.signin import athlete_page
from service.web.signin import sign_in_first
from service.web.signin import signed_in
from service.web.throttle import BUSY
from service.web.throttle import Busy
from service.web.throttle import child_reader
from service.web.throttle import upload_slot

bp = Blueprint("uploads", __name__)

FIELD = "files"
# Room for the multipart boundaries, part headers and the CSRF field.
MULTIPART_OVERHEAD = 64 * 1024
# No more parts than this in one upload (Werkzeug refuses more, with a 413).
MAX_PARTS = 200
NO_FILES = "Choose one or more GPX or FIT files first."


def _read(storage: FileStorage, limits: Limits) -> bytes | FileError:
    """The upload's bytes, or the FileError that says why they were not read."""
    stream = storage.stream
    try:
        stream.seek(0, os.SEEK_END)
        size = stream.tell()
        stream.seek(0)
    except (AttributeError, OSError):
        size = None  # not seekable: the bounded read below decides
    if size is not None and size > limits.max_bytes:
        return FileError(
            f"too large: {human_bytes(size)}, the limit is {human_bytes(limits.max_bytes)}"
        )
    data = stream.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        return FileError(f"too large: over {human_bytes(limits.max_bytes)}")
    return data


def _files(chosen: list[FileStorage], limits: Limits) -> Iterator[tuple[str, bytes | FileError]]:
    for storage in chosen:
        try:
            yield storage.filename or "", _read(storage, limits)
        finally:
            storage.close()


@bp.post("/settings/upload")
@csrf.exempt  # checked below, once the body is bounded
@athlete_page
def upload(db: Session, athlete: Athlete) -> Any:
    limits = upload_limits()
    athlete_id = athlete.id
    db.rollback()  # no transaction stays open while the body arrives
    request.max_content_length = limits.max_request_bytes + MULTIPART_OVERHEAD
    request.max_form_parts = MAX_PARTS
    try:
        with upload_slot():
            csrf.protect()
            chosen = [f for f in request.files.getlist(FIELD) if f.filename]
            if not chosen:
                return _page(db, athlete, error=NO_FILES, status=400)
            files = _files(chosen, limits)
            results = import_files(deps(), athlete_id, files, limits, read=child_reader())
    except Busy:
        _discard_body()
        return _page(db, athlete, error=BUSY, status=503)
    except UnknownAthlete:
        return sign_in_first()
    db.rollback()  # the page shows the runs the import committed
    if signed_in(db) is None:
        return sign_in_first()
    return _page(db, athlete, results=results)


def _discard_body() -> None:
    """Read the refused body to its end without keeping it, so the browser gets the page
    rather than a reset connection. Bounded as it is: by the request's size limit, and
    by the socket's read timeout (service.web.throttle)."""
    stream = request.stream
    while stream.read(64 * 1024):
        pass


@bp.errorhandler(RequestEntityTooLarge)
@athlete_page
def too_large(db: Session, athlete: Athlete, _error: RequestEntityTooLarge) -> Any:
    limits = upload_limits()
    message = (
        "Nothing was imported: the upload is larger than "
        f"{human_bytes(limits.max_request_bytes)} in all, or holds too many files. "
        f"Each file may be up to {human_bytes(limits.max_bytes)}; "
        "upload fewer files at a time."
    )
    return _page(db, athlete, error=message, status=413)


def _page(
    db: Session,
    athlete: Athlete,
    *,
    results: list[ImportResult] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Any:
    return render_settings(
        db, athlete, form_values(athlete), uploads=results, upload_error=error, status=status
    )
