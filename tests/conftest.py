"""Shared fixtures: a settable clock, a fresh SQLite collection per test, the tiny deck."""

from __future__ import annotations

import os
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


POSTGRES_ENV = "QUIZ_TEST_POSTGRES_URL"
"""A PostgreSQL URL (postgresql+psycopg://...) to run the store tests on PostgreSQL as well."""


def pytest_report_header() -> str:
    if os.environ.get(POSTGRES_ENV):
        return f"PostgreSQL tests: on ({POSTGRES_ENV} is set)"
    return f"PostgreSQL tests: SKIPPED ({POSTGRES_ENV} is not set; .ci/run sets it)"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'quiz.sqlite3'}"
        return
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.skip(f"PostgreSQL: set {POSTGRES_ENV} to run")
    from quiz.store.scratch import postgres_schema

    with postgres_schema(server) as url:
        yield url


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
