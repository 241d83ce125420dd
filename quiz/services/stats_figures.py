"""The statistics as a tree of frozen dataclasses, with ``Stats.as_dict`` for JSON.

Derived figures (rates, totals) are properties, listed in each class's ``DERIVED`` so
that the JSON carries them too.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from datetime import date
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class Ratio:
    """Passed answers out of all answers."""

    passed: int
    total: int

    DERIVED: ClassVar[tuple[str, ...]] = ("rate",)

    @property
    def rate(self) -> float | None:
        return self.passed / self.total if self.total else None

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(self.passed + other.passed, self.total + other.total)


@dataclass(frozen=True, slots=True)
class DayCount:
    """Answers on one study day, re-drills included."""

    day: date
    answers: int


@dataclass(frozen=True, slots=True)
class Activity:
    """Answers per study day over the past year, and the study streaks."""

    start: date
    end: date
    days: tuple[DayCount, ...]
    """Days with at least one answer, oldest first."""

    current_streak: int
    longest_streak: int

    DERIVED: ClassVar[tuple[str, ...]] = ("answers", "active_days")

    @property
    def answers(self) -> int:
        return sum(d.answers for d in self.days)

    @property
    def active_days(self) -> int:
        return len(self.days)

    def by_day(self) -> dict[date, int]:
        return {d.day: d.answers for d in self.days}


@dataclass(frozen=True, slots=True)
class Forecast:
    """Cards falling due on each of the next days; overdue cards count as due today."""

    start: date
    due: tuple[int, ...]
    overdue: int

    DERIVED: ClassVar[tuple[str, ...]] = ("total",)

    @property
    def total(self) -> int:
        return sum(self.due)


@dataclass(frozen=True, slots=True)
class Load:
    """What is left to study today, with each deck's daily limits applied."""

    new: int
    reviews: int
    redrill: int

    DERIVED: ClassVar[tuple[str, ...]] = ("total",)

    @property
    def total(self) -> int:
        return self.new + self.reviews + self.redrill


@dataclass(frozen=True, slots=True)
class RetentionWindow:
    """Review-card answers passed over the last ``days`` study days, young and mature."""

    days: int
    young: Ratio
    mature: Ratio

    DERIVED: ClassVar[tuple[str, ...]] = ("all",)

    @property
    def all(self) -> Ratio:
        return self.young + self.mature


@dataclass(frozen=True, slots=True)
class CardCounts:
    """Live cards by exclusive state; ``leech`` counts flagged cards across the states."""

    new: int
    learning: int
    young: int
    mature: int
    suspended: int
    leech: int

    DERIVED: ClassVar[tuple[str, ...]] = ("total",)

    @property
    def total(self) -> int:
        return self.new + self.learning + self.young + self.mature + self.suspended


@dataclass(frozen=True, slots=True)
class Bucket:
    """Cards whose EF (hundredths) or interval (days) lies from ``low`` to ``high``."""

    label: str
    low: int
    high: int | None
    """Inclusive upper bound; None for the open-ended last bucket."""

    count: int


@dataclass(frozen=True, slots=True)
class Distribution:
    """Studied, unsuspended cards by bucket of EF (hundredths) or interval (days)."""

    buckets: tuple[Bucket, ...]
    mean: float | None
    """In the buckets' unit; None when no card is counted."""

    DERIVED: ClassVar[tuple[str, ...]] = ("cards",)

    @property
    def cards(self) -> int:
        return sum(b.count for b in self.buckets)


@dataclass(frozen=True, slots=True)
class TagAccuracy:
    """Scheduled answers passed over the last 90 days, for notes carrying one tag."""

    tag: str
    accuracy: Ratio


@dataclass(frozen=True, slots=True)
class HardCard:
    """A live card with a low EF or lapses, with what makes it hard."""

    card_id: int
    ref: str
    """deck:note:ord, as `quiz preview` and `quiz unsuspend` take it."""

    ef: int
    """In hundredths."""

    lapses: int
    interval: int
    leech: bool
    suspended: bool


@dataclass(frozen=True, slots=True)
class TimeSpent:
    """Answers and milliseconds per day over the last days, oldest first."""

    start: date
    answers: tuple[int, ...]
    ms: tuple[int, ...]

    DERIVED: ClassVar[tuple[str, ...]] = ("total_seconds", "seconds_per_answer")

    @property
    def total_seconds(self) -> float:
        return sum(self.ms) / 1000

    @property
    def seconds_per_answer(self) -> float | None:
        answers = sum(self.answers)
        return self.total_seconds / answers if answers else None


@dataclass(frozen=True, slots=True)
class Stats:
    """Everything the statistics screen and `quiz stats` show, for one scope."""

    today: date
    deck: str | None
    tag: str | None
    activity: Activity
    forecast: Forecast
    load: Load
    retention: tuple[RetentionWindow, ...]
    cards: CardCounts
    ef: Distribution
    intervals: Distribution
    weakest_tags: tuple[TagAccuracy, ...]
    hardest_cards: tuple[HardCard, ...]
    time: TimeSpent

    def as_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready values: dates in ISO format, derived figures included."""
        out = _jsonable(self)
        assert isinstance(out, dict)
        return out


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        out = {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
        for name in getattr(value, "DERIVED", ()):
            out[name] = _jsonable(getattr(value, name))
        return out
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value
