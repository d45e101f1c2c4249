"""The athlete's runs as the engine sees them when it writes one run's note."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from collections.abc import Sequence
from datetime import date
from datetime import timedelta

from coaching.model import Run

DAY = timedelta(days=1)
# A break is this many days or more without a run (the "two weeks or more").
BREAK_DAYS = 14


@dataclasses.dataclass(frozen=True, slots=True)
class Timeline:
    """Runs up to and including ``run``, oldest first, with distance per local day.

    Days are the athlete's calendar days (``Run.day``): a Sunday-night run in
    Los Angeles counts on that Sunday, not on Monday as it would in UTC.
    Windows are still rolling 7 and 28 days ending ``today``.
    """

    run: Run
    runs: tuple[Run, ...]
    today: date
    daily_m: dict[date, float]
    run_days: tuple[date, ...]

    @property
    def run_day(self) -> date:
        return self.run.day

    def distance(self, end: date, days: int = 7, since: date | None = None) -> float:
        """Distance over ``days`` days ending with ``end``; days before ``since`` count as zero."""
        total = 0.0
        for back in range(days):
            day = end - back * DAY
            if since is None or day >= since:
                total += self.daily_m.get(day, 0.0)
        return total

    def week(self, k: int, since: date | None = None) -> float:
        """Distance in the k-th 7-day block back from today (0 is the last 7 days)."""
        return self.distance(self.today - 7 * k * DAY, 7, since)

    def this_week(self) -> float:
        """Distance in today's calendar week so far (Monday to today)."""
        return self.distance(self.today, self.today.weekday() + 1)

    def runs_in_days(self, days: int) -> int:
        """How many runs fell in the ``days`` days ending today."""
        first = self.today - (days - 1) * DAY
        return sum(1 for day in self.run_days if first <= day)

    def last_break(self) -> tuple[date, date] | None:
        """The latest break as (last day before it, first day after it), if any."""
        days = sorted(set(self.run_days))
        for before, after in zip(reversed(days[:-1]), reversed(days[1:]), strict=True):
            if (after - before).days - 1 >= BREAK_DAYS:
                return before, after
        return None

    @property
    def stretch_start(self) -> date:
        """First day of the current stretch of training: after the latest break, or ever."""
        found = self.last_break()
        return found[1] if found else self.run_days[0]


def build_timeline(history: Iterable[Run], run: Run, today: date | None) -> Timeline:
    """Keep the runs that could matter to ``run``'s note, each once.

    Runs that start after ``run`` are ignored (the worker may reprocess an old
    run) and ``run`` itself is counted once, whatever ``history`` holds. A
    ``today`` before the run's own day means the run's day.
    """
    earlier: dict[str, Run] = {}
    for other in sorted(history, key=lambda r: (r.start, r.id)):
        if other.id != run.id and other.start <= run.start:
            earlier.setdefault(other.id, other)
    runs = (*earlier.values(), run)
    daily: dict[date, float] = {}
    for each in runs:
        daily[each.day] = daily.get(each.day, 0.0) + each.distance_m
    run_day = run.day
    return Timeline(
        run=run,
        runs=runs,
        today=max(today, run_day) if today else run_day,
        daily_m=daily,
        # Sorted: after travel across zones, local days need not follow start order.
        run_days=tuple(sorted(r.day for r in runs)),
    )


def longest_before(runs: Sequence[Run], run: Run, days: int) -> float:
    """The longest run in the ``days`` days before ``run`` started (0 if none)."""
    since = run.start - days * DAY
    return max((r.distance_m for r in runs if r.id != run.id and since <= r.start), default=0.0)
