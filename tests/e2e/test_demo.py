"""``postrun demo``: the README's first command, run as a user would."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from service.local.embedded import wait_until
from service.local.stack import postrun_command

pytestmark = pytest.mark.e2e


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid``, read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_demo_once_annotates_runs_and_leaves_the_ride(short_dir):
    data_dir = short_dir
    result = subprocess.run(
        [*postrun_command(), "demo", "--once", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert out.count("— postrun") >= 5
    for word in ("row", "Cobra", "Rear-delt fly", "This week:"):
        assert word in out
    ride = out.split("Evening Ride  (Ride)\n", 1)[1].split("\n\n", 1)[0]
    assert ride.strip() == "(empty)"
    assert "Starting uphill." in out  # the athlete's own words on the last run
    assert "WARNING" not in result.stderr


def test_demo_stops_every_child_on_sigterm(short_dir):
    data_dir = short_dir
    demo = subprocess.Popen(
        [*postrun_command(), "demo", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = demo.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Serving."):
                break
        assert lines, "the demo printed nothing"
        assert lines[-1].startswith("Serving."), "".join(lines)[-2000:]
        children = descendants(demo.pid)
        assert len(children) >= 4  # redis-server, sandbox, gunicorn (+ workers), celery

        demo.send_signal(signal.SIGTERM)

        assert demo.wait(timeout=30) == 0
        wait_until(lambda: not any(alive(pid) for pid in children), 15, "children to exit")
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        demo.stdout.close()
