"""Which activities count as finished runs."""

from __future__ import annotations

# Strava's SportType values for running (docs/sources.md#which-activities-are-runs). ``type`` is the
# deprecated field that old payloads carry instead; it has no TrailRun.
RUN_SPORT_TYPES = frozenset({"Run", "TrailRun", "VirtualRun"})
RUN_LEGACY_TYPES = frozenset({"Run", "VirtualRun"})


def is_finished_run(
    *,
    sport_type: str | None,
    activity_type: str | None,
    distance_m: float | None,
    moving_time_s: int | None,
) -> tuple[bool, str]:
    """Say whether an activity is a finished run, and why not when it is not.

    ``sport_type`` wins when present; ``activity_type`` (Strava's old ``type``)
    decides only for payloads that predate ``sport_type``. Manual and treadmill
    runs count: an athlete who logs a run by hand still ran it.
    """
    if sport_type:
        if sport_type not in RUN_SPORT_TYPES:
            return False, f"sport type {sport_type} is not a run"
    elif activity_type:
        if activity_type not in RUN_LEGACY_TYPES:
            return False, f"type {activity_type} is not a run"
    else:
        return False, "no sport type"
    if not distance_m or distance_m <= 0:
        return False, "no distance recorded"
    if not moving_time_s or moving_time_s <= 0:
        return False, "no moving time recorded"
    return True, "run"
