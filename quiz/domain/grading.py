"""Grade scales: the four answer buttons most learners use, or SM-2's own six grades."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class GradeScale(StrEnum):
    FOUR = "four"
    """Again / Hard / Good / Easy on keys 1-4 (the default)."""

    SIX = "six"
    """SM-2's qualities 0-5 on keys 0-5."""


@dataclass(frozen=True, slots=True)
class Grade:
    """One answer a learner can give: the key they press and the SM-2 quality it means."""

    key: str
    label: str
    quality: int


# Again must fail (q < 3) and the others pass. Again is 1 ("wrong, but recognised
# once shown"), the usual case when a learner flips a card they could not recall;
# Hard is 3 (recalled with serious difficulty, so it also comes back today under
# SM-2 step 7), Good is 4 and Easy is 5.
FOUR_GRADES: tuple[Grade, ...] = (
    Grade("1", "Again", 1),
    Grade("2", "Hard", 3),
    Grade("3", "Good", 4),
    Grade("4", "Easy", 5),
)

SIX_GRADES: tuple[Grade, ...] = (
    Grade("0", "Blackout", 0),
    Grade("1", "Wrong", 1),
    Grade("2", "Almost", 2),
    Grade("3", "Hard", 3),
    Grade("4", "Good", 4),
    Grade("5", "Perfect", 5),
)

GOOD_QUALITY = 4
"""What a correct multiple-choice answer grades itself as."""

AGAIN_QUALITY = 1
"""What a wrong multiple-choice answer grades itself as."""


def grades(scale: GradeScale) -> tuple[Grade, ...]:
    """The answers offered on a scale, in key order."""
    return FOUR_GRADES if scale is GradeScale.FOUR else SIX_GRADES


def quality_for_key(scale: GradeScale, key: str) -> int | None:
    """The SM-2 quality a key press means on a scale, or None if the key is not a grade."""
    for grade in grades(scale):
        if grade.key == key:
            return grade.quality
    return None
