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
    """One deck's counts for today, after daily limits."""

    key: str
    title: str
    new: int
    due: int
    redrill: int
    cards: int
    suspended: int
    due_tomorrow: int

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
    """Every deck with its new / due / re-drill counts for today, limits applied."""
    today = quiz.today()
    with quiz.store.read() as conn:
        rows = queries.deck_rows(conn)
        totals = queries.deck_totals(conn, quiz.learner_id, today, today + timedelta(days=1))
        # The same plan the review session follows, so the counts match what is shown.
        plan = plan_day(conn, quiz)
    out = []
    for deck in rows:
        t = totals.get(deck.id, queries.DeckTotals(0, 0, 0, 0, 0, 0))
        new, due, redrill = plan.count(deck.id)
        out.append(
            DeckOverview(
                key=deck.key,
                title=deck.title,
                new=new,
                due=due,
                redrill=redrill,
                cards=t.cards,
                suspended=t.suspended,
                due_tomorrow=t.due_tomorrow,
            )
        )
    return out


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
