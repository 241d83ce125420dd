"""Multiple-choice options in each learner's own order, driven by keys in the real app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from quiz.domain.mcq import DEFAULT_SEED, shown_order, text_fingerprint
from quiz.services.context import Quiz
from quiz.services.decks import import_files
from quiz.store.tables import review_log
from quiz.tui import QuizApp, make_app
from quiz.tui.screens.review import ReviewScreen
from tests.tui.conftest import NOW, ORDER, TINY, FakeMonotonic, log, only, press, screen_text

VIGNETTE = ORDER[3]
FILE_ORDER = ("Calciphylaxis", "Cellulitis", "Vasculitis")

OpenAs = Callable[..., Quiz]


@pytest.fixture
def open_as(tmp_path: Path) -> Iterator[OpenAs]:
    """Open one database (the tiny deck imported) as a learner, at an instant, with a seed."""
    url = f"sqlite:///{tmp_path / 'quiz.sqlite3'}"
    opened: list[Quiz] = []

    def factory(learner: str, when: datetime = NOW, seed: str = DEFAULT_SEED) -> Quiz:
        quiz = Quiz.open(url, learner=learner, clock=lambda: when, tz=UTC, shuffle_seed=seed)
        opened.append(quiz)
        if len(opened) == 1:
            import_files(quiz, [TINY])
        only(quiz, VIGNETTE)
        return quiz

    yield factory
    for quiz in opened:
        quiz.close()


def shown_options(app: QuizApp) -> list[str]:
    """The options on screen, top to bottom, after their letters a, b, c."""
    screen = app.screen
    assert isinstance(screen, ReviewScreen) and screen.card is not None
    assert screen.card.info.ref == VIGNETTE
    found = []
    for line in screen_text(app).splitlines():
        for letter in "abc":
            for text in FILE_ORDER:
                if f"{letter}  {text}" in line:
                    found.append((letter, text))
    assert [letter for letter, _ in found] == ["a", "b", "c"], found
    return [text for _, text in found]


def expected(learner: str, when: datetime = NOW, seed: str = DEFAULT_SEED) -> list[str]:
    order = shown_order(3, seed=seed, learner=learner, card=VIGNETTE, day=when.date())
    return [FILE_ORDER[i] for i in order]


async def test_two_learners_see_the_same_vignette_in_different_orders(open_as: OpenAs) -> None:
    seen = {}
    for learner in ("student", "other"):
        app = make_app(open_as(learner), monotonic=FakeMonotonic(), start_review=True)
        async with app.run_test(size=(80, 24)):
            seen[learner] = shown_options(app)
    assert seen["student"] != seen["other"]
    assert seen == {"student": expected("student"), "other": expected("other")}
    assert sorted(seen["other"]) == sorted(FILE_ORDER)


async def test_the_same_order_after_undo_re_drill_and_a_restart_that_day(open_as: OpenAs) -> None:
    quiz = open_as("other")
    first = expected("other")
    wrong = "abc"[first.index("Cellulitis")]
    app = make_app(quiz, monotonic=FakeMonotonic(), start_review=True)
    async with app.run_test(size=(80, 24)) as pilot:
        assert shown_options(app) == first
        await press(pilot, wrong)
        assert f"{wrong} is wrong" in screen_text(app)
        await press(pilot, "enter")  # graded Again: the card comes back today
        assert [q for _, q, _, _ in log(quiz)] == [1]
        assert shown_options(app) == first  # the re-drill
        await press(pilot, "u")
        assert log(quiz) == []
        assert shown_options(app) == first  # after undo
    later = NOW + timedelta(hours=9)  # still the same study day
    app = make_app(open_as("other", later), monotonic=FakeMonotonic(), start_review=True)
    async with app.run_test(size=(80, 24)):
        assert shown_options(app) == first  # after a restart


async def test_the_order_changes_from_one_day_to_the_next(open_as: OpenAs) -> None:
    orders = []
    for days in range(4):
        when = NOW + timedelta(days=days)
        app = make_app(open_as("student", when), monotonic=FakeMonotonic(), start_review=True)
        async with app.run_test(size=(80, 24)):
            orders.append(shown_options(app))
        assert orders[-1] == expected("student", when)
    assert len({tuple(o) for o in orders}) > 1


async def test_letters_pick_the_option_shown_under_them(open_as: OpenAs) -> None:
    quiz = open_as("other")
    shown = expected("other")
    right = "abc"[shown.index("Calciphylaxis")]
    assert right != "a"  # this learner's order moves the key away from the file's first place
    app = make_app(quiz, monotonic=FakeMonotonic(), start_review=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, right)
        text = screen_text(app)
        assert "Correct: graded Good" in text
        assert f"✓ {right}  Calciphylaxis" in text
        assert "← your answer" in text
        await press(pilot, "enter")
    assert [q for _, q, _, _ in log(quiz)] == [4]
    # The log names the option by its identity, not by the letter this learner saw.
    with quiz.store.read() as conn:
        logged = conn.execute(select(review_log.c.chosen_option)).scalars().all()
    assert logged == [text_fingerprint("Calciphylaxis")]


async def test_a_wrong_pick_is_logged_as_that_option_and_undo_takes_it_back(
    open_as: OpenAs,
) -> None:
    quiz = open_as("student")
    shown = expected("student")
    wrong = "abc"[shown.index("Vasculitis")]
    app = make_app(quiz, monotonic=FakeMonotonic(), start_review=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, wrong, "enter")
        with quiz.store.read() as conn:
            logged = conn.execute(select(review_log.c.chosen_option)).scalars().all()
        assert logged == [text_fingerprint("Vasculitis")]
        await press(pilot, "u")
        with quiz.store.read() as conn:
            assert conn.execute(select(review_log.c.chosen_option)).scalars().all() == []
        await press(pilot, "space", "3")  # revealed without a pick: no option is logged
        with quiz.store.read() as conn:
            assert conn.execute(select(review_log.c.chosen_option)).scalars().all() == [None]


async def test_the_seed_is_injected(open_as: OpenAs) -> None:
    orders = set()
    for seed in ("one", "two", "three", "four"):
        app = make_app(open_as("student", seed=seed), monotonic=FakeMonotonic(), start_review=True)
        async with app.run_test(size=(80, 24)):
            shown = shown_options(app)
        assert shown == expected("student", seed=seed)
        orders.add(tuple(shown))
    assert len(orders) > 1


async def test_a_note_can_keep_its_order(tmp_path: Path) -> None:
    deck = tmp_path / "fixed.yaml"
    deck.write_text(
        TINY.read_text(encoding="utf-8").replace(
            "    question: What is the most likely diagnosis?\n",
            "    question: What is the most likely diagnosis?\n    shuffle: false\n",
        ),
        encoding="utf-8",
    )
    for learner in ("student", "other"):
        quiz = Quiz.open(
            f"sqlite:///{tmp_path / 'q.sqlite3'}", learner=learner, clock=lambda: NOW, tz=UTC
        )
        try:
            import_files(quiz, [deck])
            only(quiz, VIGNETTE)
            app = make_app(quiz, monotonic=FakeMonotonic(), start_review=True)
            async with app.run_test(size=(80, 24)):
                assert shown_options(app) == list(FILE_ORDER)
        finally:
            quiz.close()
