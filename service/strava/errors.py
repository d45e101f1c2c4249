"""The four things that can go wrong with a Strava call, as plain exceptions."""

from __future__ import annotations


class StravaError(Exception):
    """Base class of everything this adapter raises."""


class NotFound(StravaError):
    """404: the activity is gone, private to us, or not yet readable."""


class AccessRevoked(StravaError):
    """401, or a refresh token Strava no longer accepts: the athlete must reconnect."""


class RateLimited(StravaError):
    """429: the app's budget for this window is spent."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Unavailable(StravaError):
    """5xx, a timeout or a dropped connection: worth retrying later."""
