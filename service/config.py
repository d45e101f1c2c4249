"""Settings, read from the environment once, in one place.

Every setting has an environment variable of the same name (see the README's
configuration table). Nothing reads ``os.environ`` elsewhere, so tests pass a
``Settings`` object instead of patching the process environment.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path

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
    database_url: str = "sqlite:///postrun.sqlite3"
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
    # A 404 this soon after a create is retried: Strava can announce an activity
    # before it is readable (peers-and-evidence.md §A.5, tapiriik#335).
    not_found_grace_s: int = 300
    # Length of Strava's short rate window. Strava's is 15 minutes; tests shorten it.
    rate_window_s: int = 900
    # Wait this long after an event before reading the activity: runners edit titles and
    # descriptions on the phone right after an upload.
    processing_delay_s: int = 120
    # Read the description again just before writing when the first read is this old.
    reread_after_s: float = 2.0
    # GPX/FIT uploads on the settings page: largest file, and largest request, in MB.
    upload_max_mb: int = 25
    upload_request_max_mb: int = 25

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        defaults = cls()

        def text(name: str, default: str | None) -> str | None:
            value = env.get(name)
            return value if value not in (None, "") else default

        def integer(name: str, default: int | None) -> int | None:
            raw = text(name, None)
            if raw is None:
                return default
            try:
                return int(raw)
            except ValueError:
                raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None

        return cls(
            database_url=text("DATABASE_URL", defaults.database_url) or defaults.database_url,
            redis_url=text("REDIS_URL", defaults.redis_url) or defaults.redis_url,
            secret_key=text("SECRET_KEY", None),
            strava_client_id=integer("STRAVA_CLIENT_ID", None),
            strava_client_secret=text("STRAVA_CLIENT_SECRET", None),
            strava_verify_token=text("STRAVA_VERIFY_TOKEN", None),
            strava_base_url=text("STRAVA_BASE_URL", None),
            strava_subscription_id=integer("STRAVA_SUBSCRIPTION_ID", None),
            token_key=text("POSTRUN_TOKEN_KEY", None),
            embedded=parse_bool("POSTRUN_EMBEDDED", env.get("POSTRUN_EMBEDDED", "")),
            public_url=(text("POSTRUN_PUBLIC_URL", None) or "").rstrip("/") or None,
            webhook_max_bytes=integer("POSTRUN_WEBHOOK_MAX_BYTES", defaults.webhook_max_bytes)
            or defaults.webhook_max_bytes,
            task_max_retries=integer("POSTRUN_TASK_MAX_RETRIES", defaults.task_max_retries)
            or defaults.task_max_retries,
            event_max_attempts=integer("POSTRUN_EVENT_MAX_ATTEMPTS", defaults.event_max_attempts)
            or defaults.event_max_attempts,
            sweep_after_s=integer("POSTRUN_SWEEP_AFTER_S", defaults.sweep_after_s)
            or defaults.sweep_after_s,
            sweep_interval_s=integer("POSTRUN_SWEEP_INTERVAL_S", defaults.sweep_interval_s)
            or defaults.sweep_interval_s,
            not_found_grace_s=integer("POSTRUN_NOT_FOUND_GRACE_S", defaults.not_found_grace_s)
            or defaults.not_found_grace_s,
            rate_window_s=integer("POSTRUN_RATE_WINDOW_S", defaults.rate_window_s)
            or defaults.rate_window_s,
            processing_delay_s=_or(
                integer("POSTRUN_PROCESSING_DELAY_S", None), defaults.processing_delay_s
            ),
            reread_after_s=float(text("POSTRUN_REREAD_AFTER_S", None) or defaults.reread_after_s),
            upload_max_mb=integer("POSTRUN_UPLOAD_MAX_MB", None) or defaults.upload_max_mb,
            upload_request_max_mb=integer("POSTRUN_UPLOAD_REQUEST_MAX_MB", None)
            or defaults.upload_request_max_mb,
        )

    def to_env(self) -> dict[str, str]:
        """The environment a child process needs to read these same settings back."""
        pairs = {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "SECRET_KEY": self.secret_key,
            "STRAVA_CLIENT_ID": self.strava_client_id,
            "STRAVA_CLIENT_SECRET": self.strava_client_secret,
            "STRAVA_VERIFY_TOKEN": self.strava_verify_token,
            "STRAVA_BASE_URL": self.strava_base_url,
            "STRAVA_SUBSCRIPTION_ID": self.strava_subscription_id,
            "POSTRUN_TOKEN_KEY": self.token_key,
            "POSTRUN_EMBEDDED": "1" if self.embedded else None,
            "POSTRUN_PUBLIC_URL": self.public_url,
            "POSTRUN_WEBHOOK_MAX_BYTES": self.webhook_max_bytes,
            "POSTRUN_TASK_MAX_RETRIES": self.task_max_retries,
            "POSTRUN_EVENT_MAX_ATTEMPTS": self.event_max_attempts,
            "POSTRUN_SWEEP_AFTER_S": self.sweep_after_s,
            "POSTRUN_SWEEP_INTERVAL_S": self.sweep_interval_s,
            "POSTRUN_NOT_FOUND_GRACE_S": self.not_found_grace_s,
            "POSTRUN_RATE_WINDOW_S": self.rate_window_s,
            "POSTRUN_PROCESSING_DELAY_S": self.processing_delay_s,
            "POSTRUN_REREAD_AFTER_S": self.reread_after_s,
            "POSTRUN_UPLOAD_MAX_MB": self.upload_max_mb,
            "POSTRUN_UPLOAD_REQUEST_MAX_MB": self.upload_request_max_mb,
        }
        return {k: str(v) for k, v in pairs.items() if v is not None}


def _or(value: int | None, default: int) -> int:
    """``value`` unless it is missing; unlike ``or``, a configured 0 is kept."""
    return default if value is None else value


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"
