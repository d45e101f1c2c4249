"""Figures under hostile traffic (issue #13): poison events, uploads, Strava's quota.

- ``poison_stall_s``: how long a real run waits for its note while hostile bodies
  reach the webhook from another address and poison entries reach the Redis
  inbox, twenty of each a second (as ``tests/e2e/test_hostile_traffic.py``).
- ``webhook_p99_ms_during_uploads``: the webhook's latency while four maximal GPX
  uploads and four stalled bodies run (as ``tests/e2e/test_upload_starvation.py``).
- ``quota_day_efficiency``: runs annotated in one simulated day at Strava's
  default limits, on a fast clock the sandbox and postrun share, over the most
  those limits allow for the day's mix of runs, rides, duplicates and new
  athletes' imports (``bench/quota.py``).
"""

from __future__ import annotations

import json
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import redis
import requests

from bench.common import connect_in_browser
from bench.common import say
from bench.common import subscription
from bench.quota import quota_day
from service.config import redis_client_url
from service.files import Limits
from service.local.stack import Stack
from service.pipeline.description import MARKER
from service.pipeline.inbox import GROUP
from service.pipeline.inbox import STREAM

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
POISON_BODY = b'{"object_type":"\\ud800","object_id":1,"aspect_type":"create","owner_id":1}'


def maximal_gpx(path: Path) -> Path:
    """A GPX run just under the 25 MB file limit, with nearly the most points allowed."""
    limits = Limits()
    count = limits.max_points - 1000
    track = "".join(
        f'<trkpt lat="{47 + n * 3e-5:.6f}" lon="8.0"><time>'
        f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(1714806000 + n))}</time></trkpt>"
        for n in range(count)
    )
    head = '<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="bench">'
    tail = f"<trk><trkseg>{track}</trkseg></trk></gpx>\n"
    padding = limits.max_bytes - len(head) - len(tail) - 64
    path.write_text(f"{head}<!--{'x' * padding}-->{tail}", encoding="utf-8")
    return path


def signed_in(stack: Stack) -> tuple[requests.Session, str]:
    """A browser session signed in through the real OAuth dance, and its CSRF token."""
    created = stack.sandbox("POST", "/sandbox/athletes", json={"firstname": "Uploader"})
    browser = connect_in_browser(stack, created["athlete_id"])
    token = CSRF.search(browser.get(f"{stack.web_url}/settings").text)
    if token is None:
        raise RuntimeError("the settings page has no CSRF token: not signed in")
    return browser, token.group(1)


def stalled_body(stack: Stack, path: str, cookie: str, length: int) -> socket.socket:
    """Headers that announce ``length`` bytes, then one byte; the socket stays open."""
    url = urlsplit(stack.web_url)
    sock = socket.create_connection((url.hostname, url.port), timeout=30)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\n"
        f"Content-Length: {length}\r\nCookie: {cookie}\r\n\r\n"
    )
    sock.sendall(head.encode() + b"-")
    return sock


UPLOAD = """
import sys, requests
url, cookie, token, path = sys.argv[1:]
with open(path, "rb") as handle:
    files = {"files": ("maximal.gpx", handle, "application/gpx+xml")}
    try:
        answer = requests.post(url, data={"csrf_token": token}, files=files,
                               headers={"Cookie": cookie}, timeout=120)
        print(answer.status_code)
    except requests.RequestException as error:
        print(type(error).__name__)
"""


def start_upload(stack: Stack, cookie: str, token: str, path: Path) -> subprocess.Popen[str]:
    """One upload in a process of its own, so that sending 25 MB takes nothing from the
    process that times the webhook."""
    url = f"{stack.web_url}/settings/upload"
    command = [sys.executable, "-c", UPLOAD, url, cookie, token, str(path)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def upload_status(upload: subprocess.Popen[str]) -> str:
    """The upload's HTTP status (or the error that ended it), once it has finished."""
    try:
        out, _ = upload.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        upload.kill()
        out, _ = upload.communicate()
        return "timed out"
    return out.strip() or f"exit {upload.returncode}"


def delete_event(subscription_id: int, object_id: int) -> dict[str, object]:
    """A webhook that costs no Strava call: the deletion of an activity postrun never saw."""
    return {
        "object_type": "activity",
        "object_id": object_id,
        "aspect_type": "delete",
        "owner_id": 1,
        "subscription_id": subscription_id,
        "event_time": int(time.time()),
        "updates": {},
    }


def poison_entry(object_id: int) -> bytes:
    """An inbox entry no database can store (a lone surrogate), as an older release left."""
    fields = {"object_type": "x", "object_id": object_id, "aspect_type": "create"}
    fields |= {"owner_id": 1, "subscription_id": 1, "event_time": 1, "updates": {}}
    fields["received_at"] = time.time()
    return json.dumps(fields).replace('"x"', '"\\ud800"').encode()


def poison_stall(stack: Stack, athlete: int) -> None:
    """Seconds from a real run's upload to its note, with poison arriving at 20/s."""
    inbox = redis.Redis.from_url(redis_client_url(stack.settings.redis_url))
    url = urlsplit(stack.web_url)
    stop = threading.Event()
    entries: list[bytes | str] = []

    def poison() -> None:
        n = 0
        while not stop.wait(0.05):
            n += 1
            hostile = socket.create_connection(
                (url.hostname, url.port), timeout=5, source_address=("127.0.0.2", 0)
            )
            with hostile:
                request = f"POST /webhooks/strava HTTP/1.1\r\nHost: {url.netloc}\r\n"
                request += f"Content-Length: {len(POISON_BODY)}\r\nConnection: close\r\n\r\n"
                hostile.sendall(request.encode() + POISON_BODY)
                hostile.recv(256)
            entries.append(inbox.xadd(STREAM, {"event": poison_entry(10**6 + n)}))

    poisoner = threading.Thread(target=poison, daemon=True)
    poisoner.start()
    try:
        time.sleep(2.0)  # the poison is flowing before the real run arrives
        started = time.monotonic()
        created = stack.upload(athlete, run_body(started))
        while MARKER not in (stack.activity(created["id"])["description"] or ""):
            if time.monotonic() - started > 120:
                break
            time.sleep(0.1)
        say("poison_stall_s", f"{time.monotonic() - started:.1f}")
    finally:
        stop.set()
        poisoner.join(10)
        if entries:  # parking them takes three claim periods; take them back out instead
            inbox.xack(STREAM, GROUP, *entries)
            inbox.xdel(STREAM, *entries)
        inbox.close()


def run_body(seed: float, **fields: object) -> dict[str, object]:
    start = time.gmtime(time.time() - 3 * 3600 - (seed % 1000))
    body = {
        "name": "Bench Run",
        "sport_type": "Run",
        "type": "Run",
        "distance": 8000.0,
        "moving_time": 2700,
        "elapsed_time": 2800,
        "start_date": time.strftime("%Y-%m-%dT%H:%M:%SZ", start),
    }
    return {**body, **fields}


def webhook_during_uploads(stack: Stack, workdir: Path) -> None:
    """The webhook's p99 while four maximal uploads and four stalled bodies run."""
    gpx = maximal_gpx(workdir / "maximal.gpx")
    browser, token = signed_in(stack)
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
    sub = subscription(stack)

    routes = [("/webhooks/strava", 8000), ("/settings/upload", 20 << 20)] * 2
    stalled = [stalled_body(stack, path, cookie, length) for path, length in routes]
    hook = requests.Session()
    hook.trust_env = False
    latencies: list[float] = []
    errors = 0
    uploads = [start_upload(stack, cookie, token, gpx) for _ in range(4)]
    try:
        n = 0
        while n < 40 or any(u.poll() is None for u in uploads):
            n += 1
            sent = time.monotonic()
            try:
                url, event = f"{stack.web_url}/webhooks/strava", delete_event(sub, 9 * 10**6 + n)
                # A connection per event: a kept-alive one can meet gunicorn's
                # keep-alive timeout just as this process sends on it, and be reset.
                close = {"Connection": "close"}
                hook.post(url, json=event, timeout=10, headers=close).raise_for_status()
            except requests.RequestException:
                errors += 1
            latencies.append((time.monotonic() - sent) * 1000)
            time.sleep(0.05)
    finally:
        for sock in stalled:
            sock.close()
        outcomes = [upload_status(u) for u in uploads]
        hook.close()
        browser.close()
    ordered = sorted(latencies)
    say("webhook_p99_ms_during_uploads", f"{ordered[int(0.99 * (len(ordered) - 1))]:.1f}")
    say("webhook_max_ms_during_uploads", f"{ordered[-1]:.1f}")
    say("webhook_p50_ms_during_uploads", f"{statistics.median(ordered):.1f}")
    say("webhook_errors_during_uploads", errors)
    say("uploads_answered", ",".join(sorted(outcomes)))


def hostile_figures(stack: Stack, athlete: int, workdir: Path, quick: bool = False) -> None:
    """Every figure of this module; the quota's on a stack of its own (a simulated day
    takes five to ten minutes, so ``--quick`` leaves it to ``python -m bench.quota``)."""
    poison_stall(stack, athlete)
    webhook_during_uploads(stack, workdir)
    if quick:
        say("quota_day_efficiency", "skipped with --quick: python -m bench.quota")
    else:
        quota_day(workdir)
