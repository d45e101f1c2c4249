"""The back circuit from the coach's article, by equipment and level, and how it progresses.

Source: the coach's article (``/work/shared/seed/back-to-basics.txt``): three
exercises, a row, a cobra and a rear-delt fly, three sets of ten after the run,
with advanced versions of each. The wording here is ours.
"""

from __future__ import annotations

import dataclasses

from coaching.history import Timeline
from coaching.model import AthleteSettings

ROW, COBRA, FLY = "row", "cobra", "rear_delt_fly"

# Cues from the article, in our words: drive the elbow up and squeeze the middle of
# the back, hold 1 s; lift the chest with the back, not the arms, hold 2 s; arms up
# to parallel with soft elbows, then lower slowly.
CUES = {
    ROW: "elbow in, drive it up, squeeze mid-back, hold 1 s",
    COBRA: "lift your chest with your back, not your arms, hold 2 s",
    FLY: "arms up to parallel, soft elbows, lower slowly",
}
# The article's seated band row has its own cues: sit tall, elbows by the sides,
# shoulder blades together, and do not let the band snap back.
BAND_ROW_CUE = "sit tall, elbows by your sides, squeeze, hold 1 s, ease back"

# (exercise, equipment, advanced) -> variation. Standard gym versions and all
# advanced gym versions are the article's; band versions follow its home seated row,
# and Lopes 2019 (peers-and-evidence.md §C.3) found bands give similar strength
# gains. Without equipment the entries are bodyweight stand-ins and say so.
VARIATIONS: dict[tuple[str, str, bool], str] = {
    (ROW, "gym", False): "One-arm dumbbell row, braced on a bench",
    (ROW, "band", False): "Seated band row, band round a table leg",
    (ROW, "none", False): "Door-frame row (bodyweight stand-in)",
    (ROW, "gym", True): "Plank row, dumbbells, alternating arms",
    (ROW, "band", True): "Plank row, band anchored low, alternating arms",
    (ROW, "none", True): "Plank with alternating elbow pulls (stand-in)",
    (COBRA, "gym", False): "Cobra, lying face down on the floor",
    (COBRA, "band", False): "Cobra, lying face down on the floor",
    (COBRA, "none", False): "Cobra, lying face down on the floor",
    (COBRA, "gym", True): "Cobra over a fitness ball, hands on the floor",
    # §C.3's ladder lengthens the lever with the arms reaching forward when no ball is at hand.
    (COBRA, "band", True): "Cobra with arms reaching forward (ball stand-in)",
    (COBRA, "none", True): "Cobra with arms reaching forward (ball stand-in)",
    (FLY, "gym", False): "Rear-delt fly, dumbbells, bent over at 45°",
    (FLY, "band", False): "Band rear-delt fly, band underfoot, bent at 45°",
    (FLY, "none", False): "Bent-over reverse fly, empty hands (stand-in)",
    (FLY, "gym", True): "Rear-delt fly seated, bent over on a bench",
    (FLY, "band", True): "Band rear-delt fly seated, bent over on a bench",
    (FLY, "none", True): "Seated bent-over reverse fly, 2 s pause (stand-in)",
}


@dataclasses.dataclass(frozen=True, slots=True)
class Stage:
    """One rung of the progression ladder."""

    name: str
    sets: int
    reps: int
    advanced: bool


# ACSM 2009 double progression (peers-and-evidence.md §C.3): add repetitions at the
# same difficulty, then move to a harder version and reset the reps. The article
# prescribes 3 x 10 and offers advanced versions; a 2 x 10 start eases newcomers in.
# Each rung is harder than the one before: a harder variation outranks reps.
LADDER = (
    Stage("starter", 2, 10, advanced=False),
    Stage("standard", 3, 10, advanced=False),
    Stage("standard_plus", 3, 12, advanced=False),
    Stage("advanced", 3, 10, advanced=True),
)
STANDARD, ADVANCED = LADDER[1], LADDER[3]
# Under level=auto the rung follows mileage and consistency (our convention on top
# of ACSM's rule, since we cannot see the reps done). A rung needs an average of
# two runs a week and an average weekly distance, both over its number of weeks
# (counted over the whole span, so a weekly routine counts the same wherever the
# 7-day blocks fall). ACSM's novices train 2-3 days a week (§C.3).
RUNS_PER_WEEK = 2
AUTO_RULES = (  # (rung, weeks, average weekly distance over those weeks in metres)
    (3, 6, 30_000.0),
    (2, 4, 20_000.0),
    (1, 2, 10_000.0),
)


@dataclasses.dataclass(frozen=True, slots=True)
class Exercise:
    exercise: str
    variation: str
    sets: int
    reps: int
    cue: str


@dataclasses.dataclass(frozen=True, slots=True)
class Circuit:
    stage: Stage
    exercises: tuple[Exercise, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "sets": self.stage.sets,
            "reps": self.stage.reps,
            "level": self.stage.name,
            "exercises": [dataclasses.asdict(e) for e in self.exercises],
        }


def auto_stage(timeline: Timeline) -> Stage:
    """The rung for level=auto: it rises with weekly distance and regular running."""
    for rung, weeks, metres in AUTO_RULES:
        days = 7 * weeks
        regular = timeline.runs_in_days(days) >= RUNS_PER_WEEK * weeks
        if regular and timeline.distance(timeline.today, days) / weeks >= metres:
            return LADDER[rung]
    return LADDER[0]


def stage_for(settings: AthleteSettings, timeline: Timeline) -> Stage:
    if settings.level == "advanced":
        return ADVANCED
    if settings.level == "standard":
        return STANDARD
    return auto_stage(timeline)


def prescribe(settings: AthleteSettings, stage: Stage) -> Circuit:
    """The three exercises for the athlete's equipment at ``stage``."""
    exercises = []
    for name in (ROW, COBRA, FLY):
        cue = BAND_ROW_CUE if (name, settings.equipment) == (ROW, "band") else CUES[name]
        if stage.advanced and name == ROW:
            cue = "hips square, " + CUES[ROW]
        variation = VARIATIONS[(name, settings.equipment, stage.advanced)]
        exercises.append(Exercise(name, variation, stage.sets, stage.reps, cue))
    return Circuit(stage, tuple(exercises))


def difficulty(stage: Stage) -> tuple[bool, int, int]:
    """Order rungs by how hard they are: variation first, then sets, then reps."""
    return (stage.advanced, stage.sets, stage.reps)
