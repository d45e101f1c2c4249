"""Notes a coach would not sign, found by reading realistic runners' notes (each a rule test).

Histories are Monday-based weeks of runs; each run's note is written with the runs before
it, storing the circuits given, as the pipeline does.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from coaching import AthleteSettings
from coaching import Run
from coaching import Suggestion
from coaching import suggest

START = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)  # a Monday


def run(
    day: int, km: float, *, pace_s: float = 360.0, sport: str = "Run", kind: str | None = None
) -> Run:
    return Run(
        id=f"d{day}",
        start=START + timedelta(days=day),
        distance_m=km * 1000,
        moving_time_s=round(km * pace_s),
        sport_type=sport,
        workout_type=kind,
    )


def weeks(first: int, count: int, days: dict[int, float], **kw: object) -> list[Run]:
    return [
        run(7 * w + d, km, **kw)  # type: ignore[arg-type]
        for w in range(first, first + count)
        for d, km in sorted(days.items())
    ]


def play(runs: list[Run], athlete: AthleteSettings | None = None) -> dict[int, Suggestion]:
    """Each run's note by its day number, storing the circuits given."""
    athlete = athlete or AthleteSettings()
    done: list[Run] = []
    out = {}
    for each in sorted(runs, key=lambda r: r.start):
        note = suggest(athlete, [*done, each], each)
        done.append(dataclasses.replace(each, circuit=note.circuit is not None))
        out[(each.start - START).days] = note
    return out


USUAL = {1: 8.0, 3: 10.0, 6: 14.0}  # 32 km a week, the long run on Sunday


def test_one_huge_week_is_not_held_or_built_on():
    # Six weeks of 32 km, one week of 78 km, then the usual 32 km again.
    spike = [run(42 + d, km) for d, km in ((0, 10), (1, 12), (2, 10), (3, 12), (4, 10), (6, 24))]
    notes = play(weeks(0, 6, USUAL) + spike + weeks(7, 2, USUAL))
    after_spike = notes[48].volume.next_week
    assert after_spike is not None
    assert after_spike.target_m is not None
    assert after_spike.target_m[1] <= 1.3 * 32_000 + 1  # not 70-78 km
    back_to_usual = notes[55].volume.next_week
    assert back_to_usual is not None
    assert back_to_usual.target_m is not None
    assert back_to_usual.plan == "build"
    assert back_to_usual.target_m[1] <= 1.1 * 1.3 * 32_000 + 1  # not 78-86 km
    # A usual week after the spike is not a break to climb back from.
    assert notes[62].volume.next_week is not None
    assert notes[62].volume.next_week.plan == "build"
    assert "break" not in notes[62].text


def test_the_longest_run_cap_is_never_more_than_the_whole_week():
    # Back after 22 days off: the 16 km long run before the break is still within 30 days.
    notes = play(weeks(0, 8, {1: 8, 3: 10, 6: 16}) + weeks(11, 1, {1: 6, 3: 8, 6: 10}))
    note = notes[78]
    assert note.volume.plan == "rebuild"
    assert note.volume.week_target_m is not None
    assert note.volume.longest_run_cap_m is not None
    assert note.volume.longest_run_cap_m > note.volume.week_target_m[1]
    assert "Longest run" not in note.text


def test_after_a_marathon_the_long_run_cap_does_not_exceed_the_week():
    history = weeks(0, 8, {1: 10, 3: 12, 4: 8, 6: 24})
    history += [run(57, 8), run(59, 6), run(62, 42.4, kind="race")]
    history += [run(64, 5), run(66, 6), run(69, 10)]
    note = play(history)[69]
    upcoming = note.volume.next_week
    assert upcoming is not None
    assert upcoming.plan == "rebuild"
    assert upcoming.target_m is not None
    assert "Longest run next week" not in note.text


def test_a_rebuild_after_a_race_says_race_not_break():
    history = weeks(0, 8, {1: 10, 3: 12, 4: 8, 6: 24})
    history += [run(57, 8), run(59, 6), run(62, 42.4, kind="race")]
    history += [run(64, 5), run(66, 6), run(69, 10), run(71, 8)]
    notes = play(history)
    assert "after your race" in notes[69].text.splitlines()[-1]
    assert "break" not in notes[69].text
    assert notes[71].volume.plan == "rebuild"
    assert "after your race" in notes[71].text
    assert "break" not in notes[71].text


def test_a_long_run_skipped_by_the_hard_day_rule_says_so():
    # Circuits on Tuesday and Thursday; Saturday's long run is 48 h after Thursday's.
    trail = []
    for w in range(4):
        trail += [run(7 * w + 1, 8), run(7 * w + 3, 10), run(7 * w + 5, 25, kind="long")]
    note = play(trail)[26]
    assert note.circuit is None
    assert note.next_circuit_at is not None
    assert note.next_circuit_at <= note.run.start
    first = note.text.splitlines()[0]
    assert "long run" in first
    assert "easy run" in first
    assert "48 h apart" not in first  # not the rule that held it back


def test_twelve_reps_do_not_ask_for_a_weight_lifted_ten_times():
    notes = play(weeks(0, 3, {1: 5, 3: 5, 6: 8}))
    circuit = notes[20].circuit
    assert circuit is not None
    assert circuit.stage.reps == 12
    assert "lift 10 times" not in notes[20].text
    assert "3 rounds of 12 reps" in notes[20].text


def test_months_without_a_circuit_start_the_circuit_again_at_3_x_10():
    history = weeks(0, 8, {1: 8, 3: 10, 6: 16}) + weeks(26, 1, {1: 4})
    notes = play(history)
    assert notes[55].circuit is not None
    assert notes[55].circuit.stage.advanced
    back = notes[183].circuit
    assert back is not None
    assert (back.stage.reps, back.stage.advanced) == (10, False)
