"""Named locks shared by every worker, in Redis, that free themselves when a holder dies.

A lock carries a short time-to-live and a watchdog thread renews it while the
holder is alive. A worker killed with SIGKILL stops renewing, so its locks lapse
within seconds instead of blocking that athlete or activity for minutes.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import redis
from redis.exceptions import LockError

# Seconds a lock outlives its last renewal; renewed every third of that.
LOCK_TTL_S = 15.0
# Seconds to wait for a busy lock before giving the task back to the queue.
WAIT_S = 20.0


class LockBusy(Exception):
    """Someone else holds the lock and kept it longer than we were willing to wait."""


@contextlib.contextmanager
def redis_lock(client: redis.Redis, name: str) -> Iterator[None]:
    # thread_local=False: the watchdog thread renews with the token the holder acquired.
    lock = client.lock(
        f"postrun:lock:{name}", timeout=LOCK_TTL_S, blocking_timeout=WAIT_S, thread_local=False
    )
    if not lock.acquire():
        raise LockBusy(name)
    done = threading.Event()

    def renew() -> None:
        while not done.wait(LOCK_TTL_S / 3):
            with contextlib.suppress(LockError, redis.RedisError):
                lock.reacquire()

    watchdog = threading.Thread(target=renew, name=f"lock-{name}", daemon=True)
    watchdog.start()
    try:
        yield
    finally:
        done.set()
        watchdog.join()
        with contextlib.suppress(LockError, redis.RedisError):
            lock.release()
