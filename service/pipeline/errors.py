"""The pipeline's own exceptions (Strava's are in ``service.strava.errors``)."""

from __future__ import annotations


class NotOurSubscription(Exception):
    """The event names a push subscription this deployment did not create."""


class RetryLater(Exception):
    """Nothing is wrong yet, but the event cannot finish now; try again after a pause."""

    def __init__(self, message: str, retry_after_s: float, patience_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        # How long the cause may last before the event is better given up (or, for the
        # backfill wait, handled anyway): it sets how many retries the task gets.
        self.patience_s = patience_s
