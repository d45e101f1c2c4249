"""The four things that can go wrong with a Strava call, as plain exceptions, and the
translation of stravalib's and requests' failures into them."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from collections.abc import Iterator

import requests
from stravalib import exc


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


def seconds_to_next_window(now: float, window_s: int = 900) -> float:
    """Strava's short window resets at :00, :15, :30 and :45 (docs/sources.md#rate-limits)."""
    return window_s - (now % window_s)


def _status(error: requests.HTTPError) -> int | None:
    return error.response.status_code if error.response is not None else None


@contextlib.contextmanager
def translate_errors(clock: Callable[[], float] = time.time, window_s: int = 900) -> Iterator[None]:
    """Map stravalib and requests failures onto this module's exceptions."""
    try:
        yield
    except exc.ObjectNotFound as error:
        raise NotFound(str(error)) from error
    except exc.AccessUnauthorized as error:
        raise AccessRevoked(str(error)) from error
    except requests.HTTPError as error:  # stravalib's Fault is an HTTPError
        status = _status(error)
        if status == 429:
            raise RateLimited(str(error), seconds_to_next_window(clock(), window_s)) from error
        if status is not None and status >= 500:
            raise Unavailable(str(error)) from error
        if status == 400 and "refresh_token" in str(error):
            raise AccessRevoked(str(error)) from error
        raise
    except (requests.ConnectionError, requests.Timeout) as error:
        raise Unavailable(str(error)) from error
