"""The note for one run: the back circuit (or when it is next due) and weekly-volume advice."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date
from datetime import datetime
from typing import Any

from coaching.circuit import Circuit
from coaching.circuit import prescribe
from coaching.circuit import sessions_before
from coaching.circuit import stage_for
from coaching.history import build_timeline
from coaching.model import AthleteSettings
from coaching.model import Run
from coaching.note import compose
from coaching.races import no_circuit_reason
from coaching.schedule import HARD
from coaching.schedule import plan_for
from coaching.volume import Volume
from coaching.volume import assess


@dataclasses.dataclass(frozen=True, slots=True)
class Suggestion:
    """What postrun suggests after one run; ``text`` is what goes into the description."""

    run: Run
    circuit: Circuit | None
    next_circuit_at: datetime | None
    volume: Volume
    text: str
    # Why this run gets no circuit whatever the schedule: race, warm_up, after_race, race_tomorrow.
    no_circuit: str | None = None

    @property
    def last_7_days_m(self) -> float:
        return self.volume.last_7_days_m

    @property
    def weekly_average_4w_m(self) -> float:
        return self.volume.weekly_average_4w_m

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the shape ``postrun suggest --json`` prints."""
        return {
            "run": {
                "id": self.run.id,
                "start": self.run.start.isoformat(),
                "distance_m": self.run.distance_m,
                "moving_time_s": self.run.moving_time_s,
                "sport_type": self.run.sport_type,
                "utc_offset_s": self.run.utc_offset_s,
                "local_day": self.run.day.isoformat(),
                "workout_type": self.run.workout_type,
            },
            "circuit": self.circuit.to_dict() if self.circuit else None,
            "next_circuit_at": self.next_circuit_at.isoformat() if self.next_circuit_at else None,
            "no_circuit": self.no_circuit,
            "volume": self.volume.to_dict(),
            "text": self.text,
        }


def suggest(
    settings: AthleteSettings,
    history: Sequence[Run],
    run: Run,
    today: date | None = None,
) -> Suggestion:
    """Build the note for ``run``, given the athlete's stored runs as ``history``.

    ``history`` may hold ``run`` itself and later runs; later runs are ignored.
    ``today`` defaults to the run's own (local) day, so the answer never depends on
    the clock; a ``today`` passed in is a day on the athlete's calendar.
    """
    history = list(history)
    timeline = build_timeline(history, run, today)
    goal = settings.goal_race
    volume = assess(timeline, goal)
    # A race later the same day is known when the history holds it: this run is its warm-up.
    later = [r for r in history if r.day == run.day and r.start > run.start and r.id != run.id]
    reason = no_circuit_reason(run, [*timeline.runs, *later], goal)

    def blocked(other: Run) -> bool:
        if other is run:
            return reason is not None
        return no_circuit_reason(other, timeline.runs, goal) is not None

    gets_circuit, due = plan_for(timeline.runs, run, settings.circuits_per_week, blocked)
    sessions = sessions_before(timeline.runs, run)
    circuit = None
    if gets_circuit:
        circuit = prescribe(settings, stage_for(settings, sessions, run), len(sessions))
    # Held back only by the wait after a circuit that a long run or workout observes.
    hard_day = (
        circuit is None
        and reason is None
        and run.workout_type in HARD
        and due is not None
        and due <= run.start
    )
    text = compose(
        circuit=circuit,
        due=due,
        per_week=settings.circuits_per_week,
        volume=volume,
        units=settings.units,
        include_volume=settings.include_volume,
        zone=settings.timezone,
        no_circuit=reason,
        sessions_done=len(sessions),
        hard_day=hard_day,
    )
    return Suggestion(
        run=run,
        circuit=circuit,
        next_circuit_at=due,
        volume=volume,
        text=text,
        no_circuit=reason,
    )
