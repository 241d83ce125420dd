"""What a learner sees before studying: decks with today's counts, progress and streak."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from quiz.services.context import Quiz
from quiz.services.review import plan_day
from quiz.store import queries
from quiz.store.tables import review_log


@dataclass(frozen=True, slots=True)
class DeckOverview:
    """One deck's counts for today, after daily limits: what the home screen shows."""

    key: str
    title: str
    new: int
    due: int
    redrill: int
    due_tomorrow: int
    """Cards due by tomorrow, not suspended; today's included, limits not applied."""

    @property
    def to_study(self) -> int:
        return self.new + self.due + self.redrill


@dataclass(frozen=True, slots=True)
class Today:
    answers: int
    cards: int
    seconds: float
    streak: int
    longest_streak: int


def deck_overview(quiz: Quiz) -> list[DeckOverview]:
    """Every deck with its new / due / re-drill counts for today, limits applied.

    Only what changes from day to day and answer to answer is read: the cards due by
    tomorrow, from the due-date index, and each deck's first new cards, in deck order.
    Totals over every card of a deck are ``deck_sizes``'s.
    """
    with quiz.store.read() as conn:
        # The same plan the review session follows, so the counts match what is shown;
        # tomorrow's counts come from the same read of the due cards.
        plan = plan_day(conn, quiz, count_due_until=quiz.tomorrow())
    counts = plan.counts()
    out = []
    for deck in plan.decks:
        new, due, redrill = counts.get(deck.id, (0, 0, 0))
        tomorrow = plan.due_until.get(deck.id, 0)
        out.append(DeckOverview(deck.key, deck.title, new, due, redrill, tomorrow))
    return out


def deck_sizes(quiz: Quiz) -> dict[str, int]:
    """Live cards per deck key (decks without cards are left out).

    Counts every card of every deck, so it is kept off the home screen, whose counts
    are read on every visit; a deck's size only changes when it is imported.
    """
    with quiz.store.read() as conn:
        keys = {r.id: r.key for r in queries.deck_rows(conn)}
        sizes = queries.deck_sizes(conn)
    return {keys[d]: n for d, n in sizes.items() if d in keys}


def today_progress(quiz: Quiz) -> Today:
    """Answers and time today, and the study streak."""
    today = quiz.today()
    with quiz.store.read() as conn:
        answers, cards, ms = conn.execute(
            select(
                func.count(),
                func.count(func.distinct(review_log.c.card_id)),
                func.coalesce(func.sum(review_log.c.duration_ms), 0),
            ).where(review_log.c.learner_id == quiz.learner_id, review_log.c.study_day == today)
        ).one()
        days = queries.study_days(conn, quiz.learner_id)
    current, longest = streaks(days, today)
    return Today(int(answers), int(cards), int(ms) / 1000, current, longest)


def streaks(days_desc: list[date], today: date) -> tuple[int, int]:
    """Current and longest runs of consecutive study days.

    The current streak still counts if today has no reviews yet but yesterday
    did: the day is not over.
    """
    current = 0
    if days_desc and days_desc[0] >= today - timedelta(days=1):
        expected = days_desc[0]
        for day in days_desc:
            if day != expected:
                break
            current += 1
            expected = day - timedelta(days=1)
    longest = run = 0
    previous: date | None = None
    for day in days_desc:
        run = run + 1 if previous is not None and previous - day == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    return current, longest
