"""One demo per data folder: a lock file holding the owner's PID.

The lock is an ``flock`` on ``demo.lock``, so it ends with its process however
that process ends: a file left by a demo that died is simply taken over. A
second demo on a busy folder is refused, naming the PID that holds it, before
it touches anything (docs/operations.md#the-demo).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

LOCK_NAME = "demo.lock"


class FolderBusy(RuntimeError):
    def __init__(self, folder: Path, pid: str) -> None:
        super().__init__(
            f"another postrun demo (PID {pid or 'unknown'}) is using {folder}; stop it, "
            "or give this one a folder of its own with --data-dir"
        )


class FolderLock:
    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise FolderBusy naming the PID that holds it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            raise FolderBusy(self.path.parent, holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()
