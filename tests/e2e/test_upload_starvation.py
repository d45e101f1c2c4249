"""Uploads and slow clients cannot keep the webhook from answering (issue #13, item 6).

On the real stack (gunicorn as `postrun serve` runs it): four maximal GPX uploads
and four connections that announce a large body and send one byte, while Strava's
webhooks keep arriving. With sync workers every worker was taken for 30 s and the
webhook answered nothing.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urlsplit

import pytest
import requests

from service.files import Limits
from service.web.throttle import READ_TIMEOUT_S
from tests.files.builders import HEAD
from tests.files.builders import OPEN
from tests.files.builders import points
from tests.files.builders import trkpt

pytestmark = pytest.mark.e2e

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def maximal_gpx(path):
    """A GPX run just under the 25 MB file limit, with nearly the most points allowed."""
    limit = Limits()
    track = "".join(trkpt(*p) for p in points(limit.max_points - 1000, step_s=1, step_deg=3e-5))
    head, tail = f"{HEAD}{OPEN}", f"<trk><trkseg>{track}</trkseg></trk></gpx>\n"
    padding = limit.max_bytes - len(head) - len(tail) - 64
    path.write_text(f"{head}<!--{'x' * padding}-->{tail}", encoding="utf-8")
    return path


def signed_in_browser(stack):
    """A requests session signed in through the real OAuth dance; returns it and a CSRF token."""
    browser = requests.Session()
    browser.trust_env = False
    athlete_id = stack.sandbox("POST", "/sandbox/athletes", json={"firstname": "Uploader"})[
        "athlete_id"
    ]
    consent = browser.get(f"{stack.web_url}/connect", allow_redirects=False).headers["Location"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(consent).query).items()}
    query["athlete_id"] = str(athlete_id)
    approved = browser.get(
        f"{stack.sandbox_url}/oauth/authorize?{urlencode(query)}", allow_redirects=False
    )
    back = browser.get(approved.headers["Location"], allow_redirects=False)
    assert back.status_code == 303, back.text
    token = CSRF.search(browser.get(f"{stack.web_url}/settings").text)
    assert token
    return browser, token.group(1)


def stalled_body(stack, path, cookie, length):
    """Headers announcing ``length`` bytes, then one; the socket is returned still open."""
    url = urlsplit(stack.web_url)
    sock = socket.create_connection((url.hostname, url.port), timeout=30)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\n"
        f"Content-Length: {length}\r\nCookie: {cookie}\r\n\r\n"
    )
    sock.sendall(head.encode() + b"-")
    return sock


def test_webhooks_answer_within_a_second_during_uploads_and_stalled_bodies(stack, tmp_path):
    gpx = maximal_gpx(tmp_path / "big.gpx")
    browser, token = signed_in_browser(stack)
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
    with stack.deps.session_factory() as session:
        subscription_id = stack.deps.subscription_id(session)

    upload_statuses: list[int] = []

    def upload() -> None:
        with gpx.open("rb") as handle:
            answer = browser.post(
                f"{stack.web_url}/settings/upload",
                data={"csrf_token": token},
                files={"files": ("big.gpx", handle, "application/gpx+xml")},
                timeout=120,
            )
        upload_statuses.append(answer.status_code)

    uploads = [threading.Thread(target=upload, daemon=True) for _ in range(4)]
    stalled = []
    hook = requests.Session()
    hook.trust_env = False
    latencies: list[float] = []
    stalled_answers: list[bytes] = []
    try:
        for n in range(4):
            # Within each route's limit, so that the server waits for the rest.
            path, length = ("/webhooks/strava", 8000) if n % 2 else ("/settings/upload", 20 << 20)
            stalled.append(stalled_body(stack, path, cookie, length))
        for thread in uploads:
            thread.start()
        started = time.monotonic()
        n = 0
        # Through the uploads, and past the stalled bodies' read timeout.
        while n < 20 or any(t.is_alive() for t in uploads):
            assert time.monotonic() - started < 45, "the uploads took over 45 s"
            n += 1
            event = {
                "object_type": "activity",
                "object_id": 9_000_000 + n,
                "aspect_type": "delete",
                "owner_id": 1,
                "subscription_id": subscription_id,
                "event_time": int(time.time()),
                "updates": {},
            }
            sent = time.monotonic()
            answer = hook.post(f"{stack.web_url}/webhooks/strava", json=event, timeout=10)
            latencies.append(time.monotonic() - sent)
            assert answer.status_code == 200, answer.text
            time.sleep(0.1)
        # A stalled body is answered (400) or dropped once its read timeout passes.
        for sock in stalled:
            sock.settimeout(READ_TIMEOUT_S + 10)
            try:
                answer_head = sock.recv(4096)
            except ConnectionResetError:
                answer_head = b""
            stalled_answers.append(answer_head.split(b"\r\n", 1)[0])
    finally:
        for sock in stalled:
            sock.close()
        for thread in uploads:
            thread.join(120)
        hook.close()
        browser.close()

    assert max(latencies) < 1.0, sorted(latencies)[-5:]
    assert len(latencies) >= 20
    assert len(upload_statuses) == 4
    assert set(upload_statuses) <= {200, 503}, upload_statuses
    assert 200 in upload_statuses
    # Each stalled body was answered 400 or dropped when its read timed out.
    assert all(a in (b"", b"HTTP/1.1 400 BAD REQUEST") for a in stalled_answers), stalled_answers
