"""Starting the service's processes on this machine, shared by the demo and the test stack.

Only the standard library here: the demo's own process imports this module and
stays small, while each child imports what it runs (docs/operations.md#benchmark).
"""

from __future__ import annotations

import shutil
import sys
import urllib.request
from pathlib import Path
from typing import IO

from service.local.embedded import Supervisor
from service.local.embedded import free_port
from service.local.embedded import wait_until

SANDBOX_CLIENT_ID = 1
SANDBOX_CLIENT_SECRET = "sandbox-secret"  # noqa: S105 (the sandbox's own fixed test secret)
# No proxy for 127.0.0.1, whatever the environment says.
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def postrun_command() -> list[str]:
    """The installed ``postrun`` script next to this interpreter, else ``python -m``."""
    script = Path(sys.executable).with_name("postrun")
    if script.exists():
        return [str(script)]
    found = shutil.which("postrun")
    return [found] if found else [sys.executable, "-m", "service.cli.commands"]


def answers(url: str) -> bool:
    with _direct.open(url, timeout=1) as response:
        return bool(response.status == 200)


def wait_http(supervisor: Supervisor, url: str, what: str, timeout: float = 60.0) -> None:
    """Wait for ``url`` to answer 200; fail at once if any child has died."""

    def ready() -> bool:
        supervisor.check_alive()
        return answers(url)

    wait_until(ready, timeout, what)


def start_sandbox(supervisor: Supervisor, log: IO[bytes] | None, args: tuple[str, ...] = ()) -> str:
    """Start the Strava sandbox on a free port (not waited for); return its URL."""
    port = free_port()
    supervisor.start(
        "sandbox",
        [
            # The sandbox is its own program: ``python -m sandbox`` loads nothing of postrun.
            sys.executable,
            "-m",
            "sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--client-id",
            str(SANDBOX_CLIENT_ID),
            "--client-secret",
            SANDBOX_CLIENT_SECRET,
            *args,
        ],
        log=log,
    )
    return f"http://127.0.0.1:{port}"


def start_web(
    supervisor: Supervisor,
    env: dict[str, str],
    log: IO[bytes] | None,
    serve_args: tuple[str, ...],
    migrate: bool = False,
) -> str:
    """Start ``postrun serve`` on a free port (not waited for); return its URL."""
    port = free_port()
    supervisor.start(
        "web",
        [
            *postrun_command(),
            "serve",
            *(() if migrate else ("--no-migrate",)),
            "--bind",
            f"127.0.0.1:{port}",
            *serve_args,
        ],
        env=env,
        log=log,
    )
    return f"http://127.0.0.1:{port}"


def start_worker(
    supervisor: Supervisor, env: dict[str, str], log: IO[bytes] | None, args: tuple[str, ...]
) -> None:
    """Start ``postrun worker``, restarted whenever it dies (not waited for)."""
    supervisor.start(
        "worker", [*postrun_command(), "worker", *args], env=env, log=log, restart=True
    )


def start_beat(
    supervisor: Supervisor, env: dict[str, str], log: IO[bytes] | None, data_dir: Path
) -> None:
    """Start ``postrun beat`` (the sweeper and the other jobs), restarted whenever it dies."""
    schedule = str(data_dir / "beat-schedule")
    supervisor.start(
        "beat",
        [*postrun_command(), "beat", "--schedule", schedule],
        env=env,
        log=log,
        restart=True,
    )
