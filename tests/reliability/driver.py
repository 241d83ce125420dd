"""A scripted review session for the reliability tests, run as its own process.

    python -m tests.reliability.driver DB_URL LEARNER SEED [--deck PATH] [--max N]

It opens the collection, imports the deck if needed and answers cards with
seeded random grades, moving a fake clock to the next study day whenever the
queue runs dry, until it has answered ``--max`` cards or is killed. Every line
it prints is flushed at once, so the parent reads exactly what happened:

    WAITING            (with --wait) ready to open the database on a line on stdin
    OPENING            about to open (and, on a new file, create) the database
    IMPORTING          about to import the deck
    READY              the session is running
    ACK log card q     an answer, printed only after its transaction committed
    UNDOING log        about to take back answer ``log``
    UNDO log           answer ``log`` was taken back (committed)
    DAY yyyy-mm-dd     the fake clock moved to a new study day
    DONE               answered --max cards; exiting normally
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import func, select

from quiz.config import Settings
from quiz.decks import load_deck
from quiz.domain.sm2 import LeechPolicy
from quiz.services import Quiz
from quiz.services.decks import import_files
from quiz.services.review import ReviewSession, deck_keys
from quiz.store.tables import review_log

START = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
LEECHES = LeechPolicy(tag_at=10_000, suspend_at=10_000)
"""Random grades fail often; leech suspensions would empty a small deck and stop the run."""
DEFAULT_DECK = Path(__file__).resolve().parents[1] / "fixtures" / "tiny.yaml"


class Clock:
    """A clock the driver moves itself: a few seconds per answer, a day when the queue empties."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def latest_day(quiz: Quiz) -> date | None:
    with quiz.store.read() as conn:
        day: date | None = conn.execute(
            select(func.max(review_log.c.study_day)).where(
                review_log.c.learner_id == quiz.learner_id
            )
        ).scalar()
    return day


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("learner")
    parser.add_argument("seed", type=int)
    parser.add_argument("--deck", type=Path, default=DEFAULT_DECK)
    parser.add_argument("--max", type=int, default=0, help="stop after this many answers")
    parser.add_argument("--undo", type=float, default=0.05, help="chance of undoing an answer")
    parser.add_argument("--wait", action="store_true", help="open only after a line on stdin")
    args = parser.parse_args(argv)
    if args.wait:
        # Lets the parent release several drivers at the same instant, imports done.
        say("WAITING")
        sys.stdin.readline()
    rng = random.Random(args.seed)
    clock = Clock(START)

    say("OPENING")
    settings = Settings(leech=LEECHES)
    quiz = Quiz.open(args.url, learner=args.learner, settings=settings, clock=clock, tz=UTC)
    # A restarted driver carries on from the learner's last study day, as a person would.
    last = latest_day(quiz)
    if last is not None:
        clock.now = noon(last)
    if load_deck(args.deck).deck.id not in deck_keys(quiz):
        say("IMPORTING")
        import_files(quiz, [args.deck])
    session = ReviewSession.start(quiz)
    say("READY")

    answered = 0
    while not args.max or answered < args.max:
        card = session.current()  # what the app does before each answer
        if card is None:
            # Another session of the same learner may be ahead: never go back to its past.
            day = max(quiz.today(), latest_day(quiz) or quiz.today()) + timedelta(days=1)
            clock.now = noon(day)
            say(f"DAY {day.isoformat()}")
            session = ReviewSession.start(quiz)
            continue
        clock.now += timedelta(seconds=rng.randint(2, 30))
        quality = rng.choice((0, 1, 2, 3, 3, 4, 4, 4, 5, 5))
        done = session.answer(quality, duration_ms=rng.randint(500, 20_000))
        say(f"ACK {done.log_id} {done.card_id} {done.quality}")
        answered += 1
        if rng.random() < args.undo:
            say(f"UNDOING {done.log_id}")
            if session.undo() is not None:
                say(f"UNDO {done.log_id}")
    quiz.close()
    say("DONE")
    return 0


if __name__ == "__main__":
    sys.exit(main())
