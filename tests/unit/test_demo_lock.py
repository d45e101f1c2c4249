"""One demo per data folder: the lock, its message, and a stale lock taken over."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from service.local.lock import LOCK_NAME
from service.local.lock import FolderBusy
from service.local.lock import FolderLock
from service.local.processes import postrun_command


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_second_lock_on_the_same_folder_is_refused_naming_the_pid(tmp_path):
    with FolderLock(tmp_path):
        with pytest.raises(FolderBusy) as refused:
            FolderLock(tmp_path).acquire()
        assert f"PID {os.getpid()}" in str(refused.value)
        assert "--data-dir" in str(refused.value)
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    (tmp_path / LOCK_NAME).write_text(f"{dead_pid()}\n")

    with FolderLock(tmp_path):
        assert (tmp_path / LOCK_NAME).read_text() == f"{os.getpid()}\n"


def test_a_second_demo_refuses_to_start_and_touches_nothing(tmp_path):
    (tmp_path / "postrun.sqlite3").write_text("the running demo's")
    with FolderLock(tmp_path):
        result = subprocess.run(
            [*postrun_command(), "demo", "--once", "--data-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert result.returncode == 1
    assert f"another postrun demo (PID {os.getpid()}) is using {tmp_path}" in result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "postrun.sqlite3").read_text() == "the running demo's"
