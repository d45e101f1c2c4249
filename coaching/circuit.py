"""The back circuit from the coach's article, by equipment and level, and how it progresses.

Source: the coach's article "Back to Basics": a row, a cobra and a rear-delt fly,
three sets of ten after the run, with an advanced version of each. The wording here
is ours; the rules are in docs/coaching.md#the-circuit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import timedelta

from coaching.model import AthleteSettings
from coaching.model import Run

ROW, COBRA, FLY = "row", "cobra", "rear_delt_fly"

# Cues from the article, in our words: elbow up towards the ceiling, squeeze the
# middle of the back, hold 1 s, lower slow and controlled; lift the chest with the
# back, not the arms, hold 2 s; arms up to parallel with soft elbows, lower slowly.
CUES = {
    ROW: "elbow in, pull it up, squeeze mid-back, hold 1 s, lower slowly",
    COBRA: "lift your chest with your back, not your arms, hold 2 s",
    FLY: "arms up to parallel, soft elbows, lower slowly",
}
# The article's seated band row: sit tall, elbows by the sides, shoulder blades
# together, hold 1 s, and do not let the band snap back.
BAND_ROW_CUE = "sit tall, elbows by your sides, squeeze, hold 1 s, ease back"
ADVANCED_ROW_CUE = "hips square, one elbow up at a time, hold 1 s, lower slowly"
# Stand-ins without equipment pull horizontally or lie face down: their own cues.
STAND_IN_CUES = {
    (ROW, False): "lean back from the frame, pull your chest to your hands, hold 1 s, lower slowly",
    (ROW, True): "hips square, pull one elbow back at a time, squeeze mid-back",
    (FLY, False): "face down, arms out in a T, thumbs up, lift, hold 1 s, lower slowly",
    (FLY, True): "face down, arms out in a T, thumbs up, lift, hold 3 s, lower slowly",
}
# The article's load guidance: a weight you can comfortably lift 10 times; at home,
# a heavy resistance band.
LOAD = {
    "gym": "a weight you can lift 10 times comfortably",
    "band": "a heavy resistance band",
    "none": "body weight only",
}
# At 3 x 12 the weights stay those of the rounds of ten: more repetitions first, then a
# harder version (docs/coaching.md#progression).
SAME_WEIGHTS = "the same weights as for your rounds of 10"

# (exercise, equipment, advanced) -> variation. Standard gym versions and all
# advanced gym versions are the article's; band versions follow its home seated row
# (bands give similar strength gains: docs/coaching.md#equipment). Without equipment
# the entries are body-weight stand-ins and say so.
VARIATIONS: dict[tuple[str, str, bool], str] = {
    (ROW, "gym", False): "One-arm dumbbell row, braced on a bench",
    (ROW, "band", False): "Seated band row, band round a table leg",
    (ROW, "none", False): "Door-frame row (body-weight stand-in)",
    (ROW, "gym", True): "Plank row, dumbbells, alternating arms",
    (ROW, "band", True): "Plank row, band anchored low, alternating arms",
    (ROW, "none", True): "Plank with alternating elbow pulls (stand-in)",
    (COBRA, "gym", False): "Cobra, lying face down on the floor",
    (COBRA, "band", False): "Cobra, lying face down on the floor",
    (COBRA, "none", False): "Cobra, lying face down on the floor",
    (COBRA, "gym", True): "Cobra over a fitness ball, hands on the floor",
    # Without a ball, arms reaching forward lengthen the lever instead.
    (COBRA, "band", True): "Cobra with arms reaching forward (ball stand-in)",
    (COBRA, "none", True): "Cobra with arms reaching forward (ball stand-in)",
    (FLY, "gym", False): "Rear-delt fly, dumbbells, bent over at 45°",
    (FLY, "band", False): "Band rear-delt fly, band underfoot, bent at 45°",
    # Empty-handed flies load almost nothing; lying face down, the arms lift their own weight.
    (FLY, "none", False): "Face-down T-raise (body-weight stand-in)",
    (FLY, "gym", True): "Rear-delt fly seated, bent over on a bench",
    (FLY, "band", True): "Band rear-delt fly seated, bent over on a bench",
    (FLY, "none", True): "Face-down T-raise, 3 s hold (stand-in)",
}


@dataclasses.dataclass(frozen=True, slots=True)
class Stage:
    """One rung of the progression ladder."""

    name: str
    sets: int
    reps: int
    advanced: bool


# ACSM 2009 double progression (docs/coaching.md#progression): more repetitions at
# the same difficulty, then a harder version with the repetitions reset. Everyone
# starts at the article's 3 x 10; each rung is harder than the one before.
LADDER = (
    Stage("standard", 3, 10, advanced=False),
    Stage("standard_plus", 3, 12, advanced=False),
    Stage("advanced", 3, 10, advanced=True),
)
STANDARD, STANDARD_PLUS, ADVANCED = LADDER
# Up a rung after six sessions on it; down one for every four weeks without a circuit.
SESSIONS_PER_RUNG = 6
LAYOFF = timedelta(days=28)


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
    sessions_done: int = 0
    load: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "sets": self.stage.sets,
            "reps": self.stage.reps,
            "level": self.stage.name,
            "load": self.load,
            "sessions_done": self.sessions_done,
            "exercises": [dataclasses.asdict(e) for e in self.exercises],
        }


def sessions_before(runs: Sequence[Run], run: Run) -> list[Run]:
    """The circuits postrun prescribed before ``run`` (stored as ``circuit=True``)."""
    return sorted((r for r in runs if r.circuit and r.start < run.start), key=lambda r: r.start)


def auto_stage(sessions: Sequence[Run], run: Run) -> Stage:
    """The rung for level=auto, from the circuits done (oldest first) before ``run``."""
    rung = count = 0
    previous = None
    for moment in [s.start for s in sessions] + [run.start]:
        if previous is not None and moment - previous >= LAYOFF:
            rung, count = max(rung - (moment - previous) // LAYOFF, 0), 0
        previous = moment
        if moment == run.start:
            break
        count += 1
        if count >= SESSIONS_PER_RUNG and rung < len(LADDER) - 1:
            rung, count = rung + 1, 0
    return LADDER[rung]


def stage_for(settings: AthleteSettings, sessions: Sequence[Run], run: Run) -> Stage:
    if settings.level == "advanced":
        return ADVANCED
    if settings.level == "standard":
        return STANDARD
    return auto_stage(sessions, run)


def _cue(name: str, equipment: str, advanced: bool) -> str:
    if equipment == "none" and (name, advanced) in STAND_IN_CUES:
        return STAND_IN_CUES[(name, advanced)]
    cue = BAND_ROW_CUE if (name, equipment) == (ROW, "band") else CUES[name]
    return ADVANCED_ROW_CUE if advanced and name == ROW else cue


def prescribe(settings: AthleteSettings, stage: Stage, sessions_done: int = 0) -> Circuit:
    """The three exercises for the athlete's equipment at ``stage``."""
    exercises = []
    for name in (ROW, COBRA, FLY):
        cue = _cue(name, settings.equipment, stage.advanced)
        variation = VARIATIONS[(name, settings.equipment, stage.advanced)]
        exercises.append(Exercise(name, variation, stage.sets, stage.reps, cue))
    load = LOAD[settings.equipment]
    if settings.equipment == "gym" and not stage.advanced and stage.reps > STANDARD.reps:
        load = SAME_WEIGHTS
    return Circuit(stage, tuple(exercises), sessions_done, load)


def difficulty(stage: Stage) -> tuple[bool, int, int]:
    """Order rungs by how hard they are: variation first, then sets, then reps."""
    return (stage.advanced, stage.sets, stage.reps)
