"""HTTP load: a small generator of our own, and wrk where it is installed.

The generator here keeps connections in a few processes and runs everywhere.
``drive_wrk`` runs wrk (compiled, far cheaper per request) with the same number
of connections and the same bodies. Whichever is used, the baseline and the
webhook are driven by the same one in the same run, so their ratio is fair
even on a noisy machine.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import multiprocessing
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclasses.dataclass
class Result:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    # Percentiles the generator computed itself (wrk), by share: {0.99: ms}.
    quantiles_ms: dict[float, float] = dataclasses.field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        if share in self.quantiles_ms:
            return self.quantiles_ms[share]
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _worker(
    url: str,
    method: str,
    body_kind: str,
    seed: int,
    threads: int,
    duration: float,
    rate_per_thread: float | None,
    out: Any,
) -> None:
    parts = urlsplit(url)
    make_body = _BODIES[body_kind]
    counts = {"requests": 0, "errors": 0}
    latencies: list[float] = []
    lock = threading.Lock()
    start_at = time.monotonic() + 0.2
    stop_at = start_at + duration

    host = parts.hostname or "127.0.0.1"

    def run(thread_index: int) -> None:
        connection = http.client.HTTPConnection(host, parts.port, timeout=10)
        sequence = 0
        local: list[float] = []
        done = errors = 0
        while time.monotonic() < start_at:
            time.sleep(0.001)
        next_send = time.monotonic()
        while (now := time.monotonic()) < stop_at:
            if rate_per_thread:
                if now < next_send:
                    time.sleep(next_send - now)
                next_send += 1.0 / rate_per_thread
            sequence += 1
            body = make_body(seed, thread_index, sequence)
            headers = {"Content-Type": "application/json"} if body else {}
            began = time.perf_counter()
            try:
                connection.request(method, parts.path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
                connection = http.client.HTTPConnection(host, parts.port, timeout=10)
            local.append((time.perf_counter() - began) * 1000)
            done += ok
            errors += not ok
        connection.close()
        with lock:
            counts["requests"] += done
            counts["errors"] += errors
            latencies.extend(local)

    pool = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    out.put((counts["requests"], counts["errors"], latencies))


def _no_body(_seed: int, _thread: int, _sequence: int) -> bytes:
    return b""


def _unknown_athlete_event(seed: int, thread: int, sequence: int) -> bytes:
    # Every body is a new event (distinct object id), so each one is stored and queued.
    return json.dumps(
        {
            "aspect_type": "create",
            "event_time": 1_800_000_000,
            "object_id": seed * 10**9 + thread * 10**6 + sequence,
            "object_type": "activity",
            "owner_id": 999_999_999,
            "subscription_id": _BODY_CONTEXT["subscription_id"],
            "updates": {},
        }
    ).encode()


_BODY_CONTEXT: dict[str, int] = {"subscription_id": 0}
_BODIES: dict[str, Callable[[int, int, int], bytes]] = {
    "none": _no_body,
    "event": _unknown_athlete_event,
}


def _entry(args: tuple[Any, ...]) -> None:
    *rest, subscription_id = args
    _BODY_CONTEXT["subscription_id"] = subscription_id
    _worker(*rest)


def drive(
    url: str,
    method: str = "GET",
    body: str = "none",
    duration: float = 5.0,
    processes: int = 2,
    threads: int = 4,
    rate: float | None = None,
    subscription_id: int = 0,
    seed: int = 1,
) -> Result:
    """Send requests for ``duration`` seconds; ``rate`` (per second, overall) paces them."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    per_thread = rate / (processes * threads) if rate else None
    workers = [
        context.Process(
            target=_entry,
            args=(
                (
                    url,
                    method,
                    body,
                    seed * 100 + n,
                    threads,
                    duration,
                    per_thread,
                    out,
                    subscription_id,
                ),
            ),
        )
        for n in range(processes)
    ]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=duration + 60) for _ in workers]
    for worker in workers:
        worker.join()
    latencies = [ms for _, _, part in results for ms in part]
    return Result(
        requests=sum(r for r, _, _ in results),
        errors=sum(e for _, e, _ in results),
        seconds=duration,
        latencies_ms=latencies,
    )


# wrk's script: arguments method, body kind, subscription id, seed. Each request of the
# "event" kind is a new event (as _unknown_athlete_event makes), so each one is stored
# and queued. done() prints one line for drive_wrk to read.
WRK_SCRIPT = r"""
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local method, kind, subscription, seed
local counter = 0
function init(args)
  method, kind, subscription, seed = args[1], args[2], args[3], tonumber(args[4])
end
function request()
  if kind ~= "event" then
    return wrk.format(method)
  end
  counter = counter + 1
  local body = string.format(
    '{"aspect_type":"create","event_time":1800000000,"object_id":%d%02d%09d,' ..
    '"object_type":"activity","owner_id":999999999,"subscription_id":%s,"updates":{}}',
    seed, tid, counter, subscription)
  return wrk.format(method, nil, {["Content-Type"] = "application/json"}, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"ok":%d,"errors":%d,"us":%d,"p50":%d,"p99":%d}\n',
    summary.requests - e.status, e.status + e.connect + e.read + e.write + e.timeout,
    summary.duration, latency:percentile(50), latency:percentile(99)))
end
"""


def drive_wrk(
    url: str,
    method: str = "GET",
    body: str = "none",
    duration: float = 5.0,
    connections: int = 8,
    threads: int = 2,
    subscription_id: int = 0,
    seed: int = 1,
) -> Result:
    """Like ``drive`` (same connections as its 2 processes × 4 threads), with wrk."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise FileNotFoundError("wrk is not installed")
    with tempfile.TemporaryDirectory(prefix="pr-wrk-") as folder:
        script = Path(folder) / "load.lua"
        script.write_text(WRK_SCRIPT)
        command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration:g}s"]
        command += ["--timeout", "10s", "-s", str(script), url, "--"]
        command += [method, body, str(subscription_id), str(seed)]
        output = subprocess.run(
            command, capture_output=True, text=True, timeout=duration + 60, check=True
        ).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRK "))
    figures = json.loads(line.removeprefix("WRK "))
    return Result(
        requests=figures["ok"],
        errors=figures["errors"],
        seconds=figures["us"] / 1e6,
        latencies_ms=[],
        quantiles_ms={0.5: figures["p50"] / 1000, 0.99: figures["p99"] / 1000},
    )
