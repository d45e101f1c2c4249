"""Run the sandbox app on a threaded werkzeug server in a background thread."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer
from werkzeug.serving import WSGIRequestHandler
from werkzeug.serving import make_server

from sandbox.app import create_app
from sandbox.config import SandboxConfig
from sandbox.state import SandboxState
from sandbox.webhooks import NO_ANSWER
from sandbox.webhooks import call


class QuietRequestHandler(WSGIRequestHandler):
    """No access log line per request: the sandbox serves thousands in a test run."""

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        return None


class SandboxServer:
    """A Strava sandbox on ``host:port`` (port 0 picks a free one).

    ``start()`` returns once the server answers ``/sandbox/health``; ``url`` is then
    "http://host:PORT". ``stop()`` shuts the server and the webhook thread down. Usable as
    a context manager.
    """

    def __init__(
        self,
        config: SandboxConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        access_log: bool = False,
    ) -> None:
        self.config = config or SandboxConfig()
        self.host = host
        self.port = port
        self.app = create_app(self.config)
        self._handler = WSGIRequestHandler if access_log else QuietRequestHandler
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> SandboxState:
        """The live in-memory state (for waiting on webhooks and for inspection)."""
        return self.app.extensions["strava_sandbox"]

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("sandbox server not started")
        host = self.host if self.host not in {"0.0.0.0", "::", ""} else "127.0.0.1"  # noqa: S104
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self._server.server_port}"

    def start(self, timeout: float = 10.0) -> SandboxServer:
        """Bind, serve from a daemon thread and wait until a request gets an answer."""
        if self._server is not None:
            return self
        self._server = make_server(
            self.host, self.port, self.app, threaded=True, request_handler=self._handler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"strava-sandbox-{self._server.server_port}",
            daemon=True,
        )
        self._thread.start()
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if call(f"{self.url}/sandbox/health", timeout=1.0)[0] < 400:
                    return
            except NO_ANSWER:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("sandbox server did not become ready")
            time.sleep(0.01)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every queued webhook event has been delivered or given up."""
        return self.state.webhooks.wait_idle(timeout)

    def stop(self) -> None:
        """Stop serving, close the socket and stop the webhook delivery thread."""
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(5.0)
        self.state.webhooks.stop()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
