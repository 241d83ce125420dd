"""SM-2 scheduling as SuperMemo published it, in exact integer arithmetic.

The easiness factor (EF) is kept in hundredths (250 means 2.5). Every step of
SM-2 changes EF by a whole number of hundredths, so no float ever enters the
schedule and six perfect reviews give exactly 1, 6, 17, 48, 140, 420 days.

Deviations from the published algorithm are deliberate and documented in the
README ("Scheduling"): lapses are counted for leech detection, and leeches are
suspended. Everything SM-2 itself specifies is followed literally.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

INITIAL_EF = 250
"""SM-2's starting easiness factor, 2.5, in hundredths."""

MIN_EF = 130
"""SM-2's floor for the easiness factor, 1.3, in hundredths."""

PASS_QUALITY = 3
"""Grades at or above this count as recalled (SM-2 step 6)."""

REDRILL_BELOW = 4
"""Grades below this come back the same day (SM-2 step 7)."""

MAX_QUALITY = 5

MAX_INTERVAL = 36_500
"""Longest interval in days by default (100 years, as Anki's maximum interval). SM-2 has
none: its intervals grow by EF each pass, and about twelve perfect reviews would reach
past the last date Python can represent."""


@dataclass(frozen=True, slots=True)
class LeechPolicy:
    """When a card that keeps lapsing is marked as a leech and suspended."""

    tag_at: int = 8
    """Lapses at which a card is marked as a leech."""

    suspend_at: int = 8
    """Lapses at which a leech is suspended; again every half of this many lapses after."""


@dataclass(frozen=True, slots=True)
class CardState:
    """One learner's scheduling state for one card."""

    ef: int = INITIAL_EF
    """Easiness factor in hundredths."""

    interval: int = 0
    """Days until the next review, as last scheduled (0 for a card never passed)."""

    repetitions: int = 0
    """Consecutive passing reviews since the last failure (SM-2's n)."""

    lapses: int = 0
    """Failed scheduled reviews of a card that had been studied before."""

    due: date | None = None
    """Study day the card is due; None for a card never reviewed."""

    last_review: date | None = None
    """Study day of the last review, so that same-day repeats can be told apart."""

    redrill: bool = False
    """The card was graded below 4 today and must come back today (SM-2 step 7)."""

    leech: bool = False
    suspended: bool = False

    @property
    def is_new(self) -> bool:
        return self.last_review is None


def check_quality(quality: int) -> None:
    """Raise ValueError unless quality is one of SM-2's grades 0..5."""
    if isinstance(quality, bool) or not isinstance(quality, int) or not 0 <= quality <= MAX_QUALITY:
        raise ValueError(f"SM-2 quality must be an integer 0..5, got {quality!r}")


def next_ef(ef: int, quality: int) -> int:
    """SM-2's EF' = EF + (0.1 - (5-q)(0.08 + (5-q)0.02)), in hundredths, floored at 1.3."""
    check_quality(quality)
    miss = MAX_QUALITY - quality
    return max(MIN_EF, ef + 10 - miss * (8 + 2 * miss))


def next_interval(repetitions: int, previous_interval: int, ef: int) -> int:
    """The interval after the n-th consecutive pass: 1, 6, then ceil(I(n-1) * EF)."""
    if repetitions == 1:
        return 1
    if repetitions == 2:
        return 6
    # Ceiling division on integers: EF is in hundredths, so this is ceil(I * EF / 100).
    return -(-previous_interval * ef // 100)


def is_repeat(state: CardState, today: date) -> bool:
    """True when the card was already graded on this study day (a step-7 re-drill)."""
    return state.last_review == today


def review(
    state: CardState,
    quality: int,
    today: date,
    leech_policy: LeechPolicy | None = None,
    max_interval: int = MAX_INTERVAL,
) -> CardState:
    """Apply one grade to a card and return its new state.

    Only the first grade of a study day schedules. Later grades the same day
    are SM-2 step 7's re-drill: they decide whether the card comes back again
    today and change nothing else.

    Args:
        state: The card's state before this answer.
        quality: SM-2 quality 0..5.
        today: The learner's current study day.
        leech_policy: Leech thresholds; the defaults when None.
        max_interval: The longest interval in days (at least 1). SM-2's interval is
            capped there; the due date is also kept within the calendar.

    Returns:
        The card's state after this answer.

    Raises:
        ValueError: If quality is not 0..5.
    """
    check_quality(quality)
    if is_repeat(state, today):
        return replace(state, redrill=quality < REDRILL_BELOW)

    policy = leech_policy or LeechPolicy()
    lapses = state.lapses
    suspended = state.suspended
    leech = state.leech
    if quality >= PASS_QUALITY:
        repetitions = state.repetitions + 1
        interval = min(next_interval(repetitions, state.interval, state.ef), max(1, max_interval))
    else:
        repetitions = 0
        interval = 1
        if not state.is_new:
            lapses += 1
            leech = leech or lapses >= policy.tag_at
            suspended = suspended or _suspends(lapses, policy)
    return CardState(
        ef=next_ef(state.ef, quality),
        interval=interval,
        repetitions=repetitions,
        lapses=lapses,
        due=today + timedelta(days=min(interval, (date.max - today).days)),
        last_review=today,
        redrill=quality < REDRILL_BELOW,
        leech=leech,
        suspended=suspended,
    )


def _suspends(lapses: int, policy: LeechPolicy) -> bool:
    # Like Anki: suspend at the threshold, then again every half-threshold more
    # lapses, so a leech the student unsuspended is caught again if it keeps failing.
    if lapses < policy.suspend_at:
        return False
    step = max(1, policy.suspend_at // 2)
    return (lapses - policy.suspend_at) % step == 0


def format_ef(ef: int) -> str:
    """Render hundredths as a decimal EF, e.g. 250 -> '2.50'."""
    return f"{ef // 100}.{ef % 100:02d}"
