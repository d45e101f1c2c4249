"""``python -m sandbox``: serve the Strava sandbox in the foreground until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer


def build_parser() -> argparse.ArgumentParser:
    defaults = SandboxConfig()
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="A local stand-in for the parts of Strava's API that postrun uses.",
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    add("--port", type=int, default=8089, help="port to bind; 0 picks a free one")
    add("--client-id", type=int, default=defaults.client_id)
    add("--client-secret", default=defaults.client_secret)
    add("--latency", type=float, default=0.0, help="seconds added to every Strava response")
    add("--error-rate", type=float, default=0.0, help="fraction of Strava calls answered 503")
    add("--seed", type=int, default=None, help="seed of the error-rate random generator")
    add("--limit-15min", type=int, default=defaults.overall_limit_15min)
    add("--limit-daily", type=int, default=defaults.overall_limit_daily)
    add("--read-limit-15min", type=int, default=defaults.read_limit_15min)
    add("--read-limit-daily", type=int, default=defaults.read_limit_daily)
    add(
        "--rate-window-s",
        type=int,
        default=defaults.rate_window_s,
        help="length of the short rate window in seconds (Strava: 900)",
    )
    add(
        "--rate-day-s",
        type=int,
        default=defaults.rate_day_s,
        help="length of the daily rate window in seconds (Strava: 86400, from midnight UTC)",
    )
    add(
        "--no-rotate-refresh-tokens",
        dest="rotate_refresh_tokens",
        action="store_false",
        help="return the same refresh token on every refresh",
    )
    add("--webhook-retry-delay", type=float, default=defaults.webhook_retry_delay_s)
    add(
        "--consent",
        choices=("auto", "page"),
        default="auto" if defaults.auto_approve else "page",
        help="auto: /oauth/authorize approves at once (the tests' default); page: it shows "
        "a consent page where a person picks an athlete and the scopes",
    )
    add(
        "--no-auto-approve",
        dest="consent",
        action="store_const",
        const="page",
        help="as --consent page",
    )
    add("--access-log", action="store_true", help="log every request to stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGTERM or SIGINT, then stop cleanly and return 0."""
    args = build_parser().parse_args(argv)
    config = SandboxConfig(
        client_id=args.client_id,
        client_secret=args.client_secret,
        overall_limit_15min=args.limit_15min,
        overall_limit_daily=args.limit_daily,
        read_limit_15min=args.read_limit_15min,
        read_limit_daily=args.read_limit_daily,
        rate_window_s=max(1, args.rate_window_s),
        rate_day_s=max(1, args.rate_day_s),
        latency_s=args.latency,
        error_rate=args.error_rate,
        seed=args.seed,
        rotate_refresh_tokens=args.rotate_refresh_tokens,
        webhook_retry_delay_s=args.webhook_retry_delay,
        auto_approve=args.consent == "auto",
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous: dict[int, Any] = {}
    # Signal handlers can only be set from the main thread; elsewhere Ctrl-C still works.
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, on_signal)
    server = SandboxServer(config, host=args.host, port=args.port, access_log=args.access_log)
    try:
        server.start()
        print(f"Strava sandbox listening on {server.url}", flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        for number, handler in previous.items():
            signal.signal(number, handler)
    print("Strava sandbox stopped", file=sys.stderr, flush=True)
    return 0
