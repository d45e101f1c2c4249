"""Settings, read from the environment once, in one place.

Every setting has an environment variable of the same name (see the README's
configuration table). Nothing reads ``os.environ`` elsewhere, so tests pass a
``Settings`` object instead of patching the process environment.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


class ConfigError(ValueError):
    """A setting is missing or malformed."""


def parse_bool(name: str, raw: str) -> bool:
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def redis_client_url(url: str) -> str:
    """Turn Celery's ``redis+socket://`` form into the ``unix://`` form redis-py takes."""
    if url.startswith("redis+socket://"):
        return "unix://" + url[len("redis+socket://") :]
    return url


@dataclasses.dataclass(frozen=True)
class Settings:
    # Empty: SQLite in the data folder (data_dir), never in the current folder.
    database_url: str = ""
    redis_url: str = "redis://localhost:6379/0"
    secret_key: str | None = dataclasses.field(default=None, repr=False)
    strava_client_id: int | None = None
    strava_client_secret: str | None = dataclasses.field(default=None, repr=False)
    strava_verify_token: str | None = None
    # Empty means the real https://www.strava.com; the demo and tests point it at the sandbox.
    strava_base_url: str | None = None
    # Optional: pin the push subscription id; otherwise the one `postrun subscribe` stored.
    strava_subscription_id: int | None = None
    # Fernet key(s) that encrypt Strava tokens at rest, comma-separated: the first
    # encrypts, every one decrypts (so a new key can be rotated in).
    token_key: str | None = dataclasses.field(default=None, repr=False)
    # Set by the embedded default (`postrun demo`, the test stack): SECRET_KEY may be absent.
    embedded: bool = False
    # The public origin, e.g. https://postrun.example.org; the OAuth redirect_uri is built
    # from it. Empty means the origin the request came to.
    public_url: str | None = None
    # Cap on a webhook body. Strava's events are a few hundred bytes.
    webhook_max_bytes: int = 16 * 1024
    # How many times a worker retries a transient failure before the event waits for the sweeper.
    task_max_retries: int = 8
    # Attempts (worker runs, retries and sweeps together) before an event is parked as failed.
    event_max_attempts: int = 12
    # The sweeper re-enqueues events still pending this long after they arrived...
    sweep_after_s: int = 120
    # ...and runs this often (Celery beat).
    sweep_interval_s: int = 60
    # The sweeper also enqueues an athlete's eight-week import again when it is still
    # pending this long after it was queued, started, read its last page or was last
    # enqueued by the sweeper: its task was lost with a killed worker or Redis, which
    # Celery would redeliver only after its 30-minute visibility timeout while the
    # athlete's new runs wait for the import (docs/operations.md#what-survives-a-crash).
    # A live import reads a page far more often: one Strava call, which gives up after
    # 5 s to connect and 30 s to answer (DEFAULT_TIMEOUT, service/strava/http.py).
    backfill_sweep_after_s: int = 300
    # A 404 this soon after a create is retried: Strava can announce an activity
    # before it is readable (docs/sources.md#why-a-404-soon-after-a-create-is-retried).
    not_found_grace_s: int = 300
    # Lengths of Strava's rate windows: 15 minutes, and a day from midnight UTC. Tests
    # and the quota benchmark shorten both, with the sandbox's, to run a day on a fast
    # clock (docs/operations.md#benchmark).
    rate_window_s: int = 900
    rate_day_s: int = 86400
    # Wait this long after an event before reading the activity: runners edit titles and
    # descriptions on the phone right after an upload.
    processing_delay_s: int = 120
    # Read the description again just before writing when the first read is this old.
    reread_after_s: float = 2.0
    # `postrun worker` lowers its CPU priority by this much (nice). Strava wants the
    # webhook's 200 within two seconds; a worker's note waits two minutes anyway, so
    # when both want the CPU during a burst, the acknowledgement goes first. 0: leave it.
    worker_nice: int = 10
    # GPX/FIT uploads on the settings page: largest file, and largest request, in MB.
    upload_max_mb: int = 25
    upload_request_max_mb: int = 25
    # Uploads one web process reads at a time; one more gets "busy, try again" (503).
    uploads_per_process: int = 1
    # Threads per gunicorn worker (`postrun serve`): a slow client holds one of them.
    web_threads: int = 8
    # Reverse proxies in front of the web app that set X-Forwarded-For/-Proto/-Host
    # (one for the usual HTTPS proxy). 0: trust no such header, use the peer address.
    proxy_hops: int = 0
    # Strava calls one athlete's events may make in one short rate window (a third of
    # Strava's default read window): a flood of forged events for one athlete cannot
    # spend everyone's budget. 0: the default.
    athlete_calls_per_window: int = 30
    # When set, GET /metrics answers only a request with "Authorization: Bearer <this>".
    metrics_token: str | None = dataclasses.field(default=None, repr=False)
    # Where the default SQLite file lives. Empty: the user's data folder
    # ($XDG_DATA_HOME/postrun, else ~/.local/share/postrun); see default_data_dir().
    data_dir: str | None = None

    def __post_init__(self) -> None:
        if not self.database_url:
            folder = Path(self.data_dir) if self.data_dir else default_data_dir()
            object.__setattr__(self, "database_url", sqlite_url(folder / "postrun.sqlite3"))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            name = ENV_NAMES[field.name]
            raw = env.get(name, "")
            if raw == "":
                continue  # the default
            value = _parse(name, str(field.type), raw)
            if field.name in ZERO_IS_DEFAULT and not value:
                continue
            values[field.name] = value
        if values.get("public_url"):
            values["public_url"] = values["public_url"].rstrip("/") or None
        return cls(**values)

    def to_env(self) -> dict[str, str]:
        """The environment a child process needs to read these same settings back."""
        pairs = {ENV_NAMES[f.name]: getattr(self, f.name) for f in dataclasses.fields(self)}
        pairs["POSTRUN_EMBEDDED"] = "1" if self.embedded else None
        return {k: str(v) for k, v in pairs.items() if v is not None}


# Each setting's environment variable; from_env and to_env both read this one table.
ENV_NAMES = {
    "database_url": "DATABASE_URL",
    "redis_url": "REDIS_URL",
    "secret_key": "SECRET_KEY",
    "strava_client_id": "STRAVA_CLIENT_ID",
    "strava_client_secret": "STRAVA_CLIENT_SECRET",
    "strava_verify_token": "STRAVA_VERIFY_TOKEN",
    "strava_base_url": "STRAVA_BASE_URL",
    "strava_subscription_id": "STRAVA_SUBSCRIPTION_ID",
    "token_key": "POSTRUN_TOKEN_KEY",
    "embedded": "POSTRUN_EMBEDDED",
    "public_url": "POSTRUN_PUBLIC_URL",
    "webhook_max_bytes": "POSTRUN_WEBHOOK_MAX_BYTES",
    "task_max_retries": "POSTRUN_TASK_MAX_RETRIES",
    "event_max_attempts": "POSTRUN_EVENT_MAX_ATTEMPTS",
    "sweep_after_s": "POSTRUN_SWEEP_AFTER_S",
    "sweep_interval_s": "POSTRUN_SWEEP_INTERVAL_S",
    "backfill_sweep_after_s": "POSTRUN_BACKFILL_SWEEP_AFTER_S",
    "not_found_grace_s": "POSTRUN_NOT_FOUND_GRACE_S",
    "rate_window_s": "POSTRUN_RATE_WINDOW_S",
    "rate_day_s": "POSTRUN_RATE_DAY_S",
    "processing_delay_s": "POSTRUN_PROCESSING_DELAY_S",
    "reread_after_s": "POSTRUN_REREAD_AFTER_S",
    "worker_nice": "POSTRUN_WORKER_NICE",
    "upload_max_mb": "POSTRUN_UPLOAD_MAX_MB",
    "upload_request_max_mb": "POSTRUN_UPLOAD_REQUEST_MAX_MB",
    "uploads_per_process": "POSTRUN_UPLOADS_PER_PROCESS",
    "web_threads": "POSTRUN_WEB_THREADS",
    "proxy_hops": "POSTRUN_PROXY_HOPS",
    "athlete_calls_per_window": "POSTRUN_ATHLETE_CALLS_PER_WINDOW",
    "data_dir": "POSTRUN_DATA_DIR",
    "metrics_token": "POSTRUN_METRICS_TOKEN",
}
# Sizes, counts and periods where 0 means "the default" (a 0 s window or a 0-byte limit
# would only break things). The processing delay and the re-read age may truly be 0.
ZERO_IS_DEFAULT = frozenset(
    {
        "webhook_max_bytes",
        "task_max_retries",
        "event_max_attempts",
        "sweep_after_s",
        "sweep_interval_s",
        "backfill_sweep_after_s",
        "not_found_grace_s",
        "rate_window_s",
        "rate_day_s",
        "upload_max_mb",
        "upload_request_max_mb",
        "uploads_per_process",
        "web_threads",
        "athlete_calls_per_window",
    }
)


def _parse(name: str, kind: str, raw: str) -> Any:
    if "bool" in kind:
        return parse_bool(name, raw)
    # Every number here is a count, a size, a period, an id or a niceness: none may be
    # negative, and a period of NaN or infinity seconds would only hang or break things.
    if "int" in kind:
        try:
            number: float = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    elif "float" in kind:
        try:
            number = float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, not {raw!r}") from None
        if not math.isfinite(number):
            raise ConfigError(f"{name} must be a finite number, not {raw!r}")
    else:
        return raw
    if number < 0:
        raise ConfigError(f"{name} must be 0 or more, not {raw!r}")
    return number


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """$POSTRUN_DATA_DIR, else $XDG_DATA_HOME/postrun, else ~/.local/share/postrun.

    The XDG base directory layout (docs/operations.md#configuration): data a user's
    programs keep belongs there, not in whatever folder a command was started from.
    """
    env = os.environ if environ is None else environ
    if env.get("POSTRUN_DATA_DIR"):
        return Path(env["POSTRUN_DATA_DIR"]).expanduser()
    if env.get("XDG_DATA_HOME"):
        return Path(env["XDG_DATA_HOME"]) / "postrun"
    home = env.get("HOME")
    return (Path(home) if home else Path.home()) / ".local" / "share" / "postrun"


def sqlite_path(database_url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL (None for any other database or for memory)."""
    prefix = "sqlite:///"
    if not database_url.startswith(prefix) or database_url == prefix + ":memory:":
        return None
    return Path(database_url[len(prefix) :].split("?", 1)[0])


def default_web_workers() -> int:
    """gunicorn processes for `postrun serve`: two per CPU core (gunicorn's own advice is
    2 x cores + 1), each with POSTRUN_WEB_THREADS threads. A process sits idle while a
    Redis round trip is in flight; with two per core the webhook keeps the CPU busy
    instead of leaving it to the worker
    (docs/sources.md#why-gunicorn-runs-two-workers-per-core)."""
    return max(2, 2 * (os.cpu_count() or 1))
