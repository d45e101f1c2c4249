"""Fixtures for the Strava sandbox tests: a real server, stravalib clients, a callback app."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask import jsonify
from flask import request
from stravalib import Client
from werkzeug.serving import make_server

from sandbox import SandboxConfig
from sandbox import SandboxServer
from sandbox.server import QuietRequestHandler
from service.strava.http import StravaSession
from tests.sandbox.support import CLIENT_ID
from tests.sandbox.support import CLIENT_SECRET
from tests.sandbox.support import Callback
from tests.sandbox.support import Control
from tests.sandbox.support import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config(clock: FakeClock, request: pytest.FixtureRequest) -> SandboxConfig:
    # A test may change settings with @pytest.mark.parametrize("config", [{...}], indirect=True).
    overrides = getattr(request, "param", {})
    return SandboxConfig(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        clock=clock,
        webhook_retry_delay_s=0.05,
        webhook_timeout_s=2.0,
        seed=7,
        **overrides,
    )


@pytest.fixture
def sandbox(config: SandboxConfig) -> Iterator[SandboxServer]:
    server = SandboxServer(config).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def control(sandbox: SandboxServer) -> Iterator[Control]:
    ctl = Control(sandbox.url)
    try:
        yield ctl
    finally:
        ctl.http.close()


@pytest.fixture
def strava_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """stravalib reads the app credentials only from these variables."""
    monkeypatch.setenv("STRAVA_CLIENT_ID", str(CLIENT_ID))
    monkeypatch.setenv("STRAVA_CLIENT_SECRET", CLIENT_SECRET)


@pytest.fixture
def make_client(sandbox: SandboxServer, strava_env: None) -> Iterator[Callable[..., Client]]:
    """Build stravalib clients that reach the sandbox through the production seam."""
    sessions: list[StravaSession] = []

    def build(
        access_token: str | None = None,
        refresh_token: str | None = None,
        token_expires: int | None = None,
    ) -> Client:
        session = StravaSession(sandbox.url)
        sessions.append(session)
        return Client(
            access_token=access_token,
            refresh_token=refresh_token,
            token_expires=token_expires,
            requests_session=session,
            rate_limit_requests=False,
        )

    yield build
    for session in sessions:
        session.close()


@pytest.fixture
def athlete(control: Control) -> dict[str, Any]:
    return control.athlete(firstname="Ada", lastname="Runner")


@pytest.fixture
def client(make_client: Callable[..., Client], athlete: dict[str, Any], clock: FakeClock) -> Client:
    # The sandbox issues expiries on its fake clock; stravalib compares them with the
    # real one. Handing it the sandbox's figure made every test using this client
    # refresh its token once the real clock passed START + 6 h (on 2026-11-25). The
    # client gets the same lifetime, counted from the real now.
    lifetime = athlete["expires_at"] - int(clock())
    return make_client(
        athlete["access_token"], athlete["refresh_token"], int(time.time()) + lifetime
    )


@pytest.fixture
def callback() -> Iterator[Callback]:
    """A tiny Flask app on a free port that answers the handshake and records events."""
    record = Callback()
    lock = threading.Lock()
    app = Flask("callback")

    @app.get("/webhook")
    def handshake() -> Any:
        with lock:
            record.handshakes.append(request.args.to_dict())
        if request.args.get("hub.verify_token") != record.verify_token:
            return jsonify({"error": "bad verify token"}), 403
        challenge = request.args.get("hub.challenge")
        if record.wrong_challenge:
            challenge = "not-the-challenge"
        return jsonify({"hub.challenge": challenge})

    @app.post("/webhook")
    def event() -> Any:
        with lock:
            if record.fail_posts > 0:
                record.fail_posts -= 1
                record.post_statuses.append(500)
                return jsonify({"error": "try again"}), 500
            record.events.append(request.get_json())
            record.post_statuses.append(200)
        return jsonify({"ok": True})

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    record.url = f"http://127.0.0.1:{server.server_port}/webhook"
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def subscribed(control: Control, callback: Callback) -> dict[str, Any]:
    """A push subscription pointing at the callback app."""
    return control.post(
        "/api/v3/push_subscriptions",
        expect=201,
        data={
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "callback_url": callback.url,
            "verify_token": callback.verify_token,
        },
    )
