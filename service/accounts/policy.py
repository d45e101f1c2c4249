"""Whether postrun may write to an athlete's Strava: a pure function of their settings."""

from __future__ import annotations

import dataclasses

from service.storage.models import ActivityStatus


@dataclasses.dataclass(frozen=True, slots=True)
class WritePolicy:
    """What the pipeline may do with a finished run of this athlete.

    ``write`` False means: keep the run in the history (so the volume stays right)
    but send nothing to Strava; ``reason`` says why, for the history page.
    """

    write: bool
    status: ActivityStatus  # recorded on the run when nothing is written
    reason: str


def write_policy(paused: bool | None, write_mode: str) -> WritePolicy:
    """Pure: the athlete's pause and write-mode settings as one decision."""
    if paused:
        return WritePolicy(False, ActivityStatus.SKIPPED, "paused: postrun wrote nothing")
    if write_mode == "preview":
        return WritePolicy(False, ActivityStatus.SKIPPED, "preview only: nothing written to Strava")
    return WritePolicy(True, ActivityStatus.ANNOTATED, "")
