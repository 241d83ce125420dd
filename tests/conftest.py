"""Shared fixtures: a settable clock, a fresh SQLite collection per test, the tiny deck."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from quiz.config import Settings
from quiz.services import Quiz

FIXTURES = Path(__file__).parent / "fixtures"
TINY = FIXTURES / "tiny.yaml"


class FakeClock:
    """A clock the test moves by hand; starts at noon UTC on 2026-11-22."""

    def __init__(self, start: datetime = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'quiz.sqlite3'}"


@pytest.fixture
def make_quiz(db_url: str, clock: FakeClock) -> Iterator[object]:
    opened: list[Quiz] = []

    def factory(learner: str = "ann", settings: Settings | None = None) -> Quiz:
        quiz = Quiz.open(db_url, learner=learner, settings=settings, clock=clock, tz=UTC)
        opened.append(quiz)
        return quiz

    yield factory
    for quiz in opened:
        quiz.close()


@pytest.fixture
def quiz(make_quiz: object) -> Quiz:
    return make_quiz()  # type: ignore[operator, no-any-return]
