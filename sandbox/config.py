"""Settings of one sandbox instance."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

# Strava's default per-application limits, https://developers.strava.com/docs/rate-limits/.
OVERALL_LIMIT_15MIN = 200
OVERALL_LIMIT_DAILY = 2000
READ_LIMIT_15MIN = 100
READ_LIMIT_DAILY = 1000

# "Access tokens expire six hours after they are created"
# (https://developers.strava.com/docs/authentication/).
ACCESS_TOKEN_LIFETIME_S = 6 * 3600
# A refresh hands out a new access token only when the current one has this long or less left.
REFRESH_REUSE_MARGIN_S = 3600


@dataclass
class SandboxConfig:
    """What a sandbox instance simulates; every field has Strava's default or a harmless one.

    ``clock`` returns epoch seconds. Tests replace it with a fake clock to move time
    (token expiry, rate-limit windows, event times) without sleeping.
    """

    client_id: int = 1
    client_secret: str = "sandbox-secret"  # noqa: S105  # a well-known sandbox default
    overall_limit_15min: int = OVERALL_LIMIT_15MIN
    overall_limit_daily: int = OVERALL_LIMIT_DAILY
    read_limit_15min: int = READ_LIMIT_15MIN
    read_limit_daily: int = READ_LIMIT_DAILY
    # Window lengths: Strava's quarter hour and UTC day, or shorter ones for a day on a
    # fast clock (the same lengths must be given to postrun: POSTRUN_RATE_WINDOW_S/_DAY_S).
    rate_window_s: int = 900
    rate_day_s: int = 86400
    latency_s: float = 0.0
    error_rate: float = 0.0
    seed: int | None = None
    rotate_refresh_tokens: bool = True
    webhook_retry_delay_s: float = 0.5
    webhook_timeout_s: float = 2.0
    # True (``--consent auto``): GET /oauth/authorize approves at once, as tests need;
    # False (``--consent page``): it shows the consent page and only a POST decides.
    auto_approve: bool = True
    clock: Callable[[], float] = field(default=time.time, repr=False)
