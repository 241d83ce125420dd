"""Fixtures for the app's tests: a fresh database with the tiny deck, fixed clocks, DB readers."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from textual.pilot import Pilot
from textual.worker import WorkerState

from quiz.config import Settings
from quiz.services.cards import find_card
from quiz.services.context import Quiz
from quiz.services.decks import import_files
from quiz.store.queries import set_flags
from quiz.store.tables import card_states, cards, decks, notes, review_log
from quiz.tui import QuizApp, make_app

TINY = Path(__file__).parents[1] / "fixtures" / "tiny.yaml"
NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
"""Noon on a Sunday: the study day is 2026-11-22 and tomorrow is the 23rd."""

ORDER = ["tiny:capital:0", "tiny:water:0", "tiny:sodium:1", "tiny:vignette:0"]
"""The tiny deck's first session: one card per note, in deck order."""


class FakeMonotonic:
    """A monotonic clock that moves only when the test says, or by ``step`` per reading."""

    def __init__(self, step: float = 0.0) -> None:
        self.now = 1000.0
        self.step = step

    def __call__(self) -> float:
        value = self.now
        self.now += self.step
        return value

    def advance(self, seconds: float) -> None:
        self.now += seconds


MakeQuiz = Callable[..., Quiz]

BUSY = (WorkerState.PENDING, WorkerState.RUNNING)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests in a fresh event loop (no async plugin is installed)."""
    func = pyfuncitem.obj
    if not inspect.iscoroutinefunction(func):
        return None
    names = inspect.signature(func).parameters
    asyncio.run(func(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True


@pytest.fixture
def make_tiny(tmp_path: Path) -> Iterator[MakeQuiz]:
    """Open a fresh database with the tiny deck imported (or other deck files)."""
    opened: list[Quiz] = []

    def factory(*decks: Path, settings: Settings | None = None) -> Quiz:
        quiz = Quiz.open(
            f"sqlite:///{tmp_path / 'quiz.sqlite3'}",
            learner="student",
            settings=settings,
            clock=lambda: NOW,
            tz=UTC,
        )
        opened.append(quiz)
        import_files(quiz, list(decks or [TINY]))
        return quiz

    yield factory
    for quiz in opened:
        quiz.close()


@pytest.fixture
def tiny(make_tiny: MakeQuiz) -> Quiz:
    return make_tiny()


@pytest.fixture
def monotonic() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
def app(tiny: Quiz, monotonic: FakeMonotonic) -> QuizApp:
    return make_app(tiny, monotonic=monotonic)


# --- waiting and reading the screen ------------------------------------------------------


def working(pilot: Pilot[Any]) -> bool:
    return any(worker.state in BUSY for worker in pilot.app.workers)


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until every worker is done and the messages they posted are handled."""
    await pilot.pause()
    while working(pilot):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def press(pilot: Pilot[Any], *keys: str) -> None:
    """Press keys one at a time, letting the database work of each finish."""
    await settle(pilot)
    for key in keys:
        await pilot.press(key)
        if working(pilot):
            await settle(pilot)


def screen_text(app: QuizApp) -> str:
    """The characters on screen, line by line (through the compositor: what a terminal shows)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


# --- reading the database ------------------------------------------------------------------


def card_id(quiz: Quiz, ref: str) -> int:
    with quiz.store.read() as conn:
        found = find_card(conn, ref)
    assert found is not None, ref
    return found


def log(quiz: Quiz) -> list[tuple[str, int, bool, int]]:
    """Every answer: card ref, quality, scheduled, duration in ms."""
    refs = {card_id(quiz, ref): ref for ref in all_refs(quiz)}
    with quiz.store.read() as conn:
        rows = conn.execute(
            select(
                review_log.c.card_id,
                review_log.c.quality,
                review_log.c.scheduled,
                review_log.c.duration_ms,
            ).order_by(review_log.c.id)
        ).all()
    return [(refs[r.card_id], r.quality, r.scheduled, r.duration_ms) for r in rows]


def state(quiz: Quiz, ref: str) -> Any:
    """The card's card_states row, or None if it was never touched."""
    with quiz.store.read() as conn:
        return conn.execute(
            select(card_states).where(card_states.c.card_id == card_id(quiz, ref))
        ).first()


def all_refs(quiz: Quiz) -> list[str]:
    with quiz.store.read() as conn:
        rows = conn.execute(
            select(decks.c.key, notes.c.key, cards.c.ord)
            .join(notes, notes.c.id == cards.c.note_id)
            .join(decks, decks.c.id == notes.c.deck_id)
        ).all()
    return [f"{d}:{n}:{o}" for d, n, o in rows]


def suspend(quiz: Quiz, refs: list[str]) -> None:
    ids = [card_id(quiz, ref) for ref in refs]
    with quiz.store.write() as conn:
        for cid in ids:
            set_flags(conn, quiz.learner_id, cid, suspended=True)


def only(quiz: Quiz, ref: str) -> None:
    """Suspend every card but one, so that a session serves just that card."""
    suspend(quiz, [other for other in all_refs(quiz) if other != ref])
