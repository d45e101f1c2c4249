"""The demo's two figures: how soon it shows a note, and how much memory it holds.

``demo_first_note_s`` is the time from starting ``postrun demo`` to the first
line of a note in its output; ``embedded_pss_mb`` is the sum of the proportional
set sizes (``Pss`` in ``/proc/PID/smaps_rollup``) of the demo and every process
below it once it says it is serving (docs/operations.md#benchmark).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from service.local.stack import postrun_command

# The demo's mark under the athlete's words: the first one printed is the first note.
NOTE_MARK = "— postrun"
SETTLE_S = 2.0


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
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def pss_kb(pid: int) -> int:
    """The process's proportional set size in kB (0 if it has gone)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def demo_figures(say: Callable[[str, object], None], timeout: float = 120.0) -> None:
    """Start ``postrun demo`` in a folder of its own, time its first note, weigh it, stop it."""
    workdir = Path(tempfile.mkdtemp(prefix="pr-demo-"))
    started = time.monotonic()
    demo = subprocess.Popen(
        [*postrun_command(), "demo", "--data-dir", str(workdir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    first_note: float | None = None
    serving = False
    try:
        assert demo.stdout is not None
        deadline = started + timeout
        while time.monotonic() < deadline:
            line = demo.stdout.readline()
            if not line:
                break
            if first_note is None and NOTE_MARK in line:
                first_note = time.monotonic() - started
            if line.startswith("Serving."):
                serving = True
                break
        if serving:
            time.sleep(SETTLE_S)
            pids = {demo.pid, *descendants(demo.pid)}
            say("embedded_pss_mb", f"{sum(pss_kb(pid) for pid in pids) / 1024:.0f}")
        say("demo_first_note_s", f"{first_note:.1f}" if first_note is not None else "none")
    finally:
        demo.send_signal(signal.SIGTERM)
        try:
            demo.wait(30)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait()
        if demo.stdout is not None:
            demo.stdout.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    demo_figures(lambda name, value: print(f"{name} {value}", flush=True))
