"""Uploads are read a few at a time per process, and parsed in a child process
(service/web/throttle.py; issue #13, item 6)."""

from __future__ import annotations

import os

import pytest

from service.files import FileError
from service.files import Limits
from service.files import read_activity
from service.web.throttle import READER
from service.web.throttle import SLOTS
from service.web.throttle import ChildReader
from tests.files.builders import run_gpx
from tests.web.test_uploads import athlete  # noqa: F401 (a fixture)
from tests.web.test_uploads import file_rows
from tests.web.test_uploads import upload


def test_an_upload_over_the_cap_is_refused_with_try_again(app, client, deps, athlete):  # noqa: F811
    slots = app.extensions[SLOTS]
    assert slots.acquire(blocking=False)  # another upload is being read
    try:
        response = upload(client, ("run.gpx", run_gpx()))
    finally:
        slots.release()

    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "try again in a minute" in page
    assert file_rows(deps, athlete) == []
    assert upload(client, ("run.gpx", run_gpx())).status_code == 200
    assert len(file_rows(deps, athlete)) == 1


def test_files_are_parsed_in_a_niced_child_process(app, client, deps, athlete):  # noqa: F811
    reader: ChildReader = app.extensions[READER]
    assert upload(client, ("run.gpx", run_gpx())).status_code == 200

    assert reader.pool is not None  # the page's file went through the child
    assert reader(n := "run.gpx", data := run_gpx(), Limits()) == read_activity(n, data)
    niceness = reader.pool.submit(os.getpriority, os.PRIO_PROCESS, 0).result()
    assert niceness >= min(19, os.nice(0) + 10)


def test_a_child_that_dies_is_a_file_error_and_the_next_upload_works():
    reader = ChildReader(1)
    try:
        pool = reader._pool()
        pool.submit(os._exit, 1)  # the child dies as an out-of-memory kill would
        with pytest.raises(FileError, match="could not be read"):
            reader("run.gpx", run_gpx(), Limits())
        assert reader("run.gpx", run_gpx(), Limits()).is_run
    finally:
        reader.close()
