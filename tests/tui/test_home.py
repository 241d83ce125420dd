"""The home screen, the help screen and the command palette."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.widgets import DataTable

from quiz.services.context import Quiz
from quiz.services.overview import Today
from quiz.tui import QuizApp, make_app
from quiz.tui.keys import KEYS
from quiz.tui.screens.help import HelpScreen
from quiz.tui.screens.home import HomeScreen, progress_line
from quiz.tui.screens.review import ReviewScreen
from quiz.tui.screens.summary import SummaryScreen
from tests.tui.conftest import TINY, FakeMonotonic, MakeQuiz, press, screen_text, settle

SECOND = """\
deck: {id: second, title: Second deck}
notes:
  - {id: one, type: basic, front: "Second Q1", back: "A1"}
  - {id: two, type: basic, front: "Second Q2", back: "A2"}
"""


async def test_home_lists_decks_with_todays_counts(app: QuizApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "Sunday 22 November 2026" in text
        assert "nothing studied yet" in text
        assert "Streak  0 days (best 0)" in text
        rows = [" ".join(line.split()) for line in text.splitlines()]
        assert "Deck New Due Learning Tomorrow" in rows
        assert "All decks 4 0 0 0" in rows
        assert "Tiny deck 4 0 0 0" in rows


async def test_enter_studies_the_selected_deck_and_r_all_decks(
    tmp_path: Path, make_tiny: MakeQuiz
) -> None:
    second = tmp_path / "second.yaml"
    second.write_text(SECOND)
    quiz = make_tiny(TINY, second)
    app = make_app(quiz, monotonic=FakeMonotonic())
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "down", "down")  # All decks, Second deck, Tiny deck
        table = app.screen.query_one(DataTable)
        assert table.cursor_row == 2
        await press(pilot, "enter")
        tiny_review = app.screen
        assert isinstance(tiny_review, ReviewScreen)
        assert tiny_review.deck_keys == ["tiny"]
        assert tiny_review.card is not None and tiny_review.card.info.deck_key == "tiny"
        await press(pilot, "q")
        assert isinstance(app.screen, HomeScreen)
        await press(pilot, "r")
        all_review = app.screen
        assert isinstance(all_review, ReviewScreen)
        assert all_review.deck_keys is None
        assert "0/6" in screen_text(app)  # 4 tiny cards (one per note) and 2 second cards


async def test_app_limited_to_some_decks(tmp_path: Path, make_tiny: MakeQuiz) -> None:
    second = tmp_path / "second.yaml"
    second.write_text(SECOND)
    quiz = make_tiny(TINY, second)
    app = make_app(quiz, ["second"], monotonic=FakeMonotonic())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "Tiny deck" not in screen_text(app)
        await press(pilot, "enter")
        assert "0/2" in screen_text(app)


async def test_no_decks(tiny: Quiz) -> None:
    app = make_app(tiny, ["nonexistent"], monotonic=FakeMonotonic())
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "enter")
        assert isinstance(app.screen, HomeScreen)
        assert "No decks yet" in screen_text(app)


async def test_help_lists_every_key(app: QuizApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "Again, Hard, Good, Easy" in text
        assert "Bury the card until tomorrow" in text
        await press(pilot, "escape")
        assert isinstance(app.screen, HomeScreen)


def test_help_names_every_shown_key() -> None:
    described = {key for _, keys in KEYS for entry, _ in keys for key in entry.split(" / ")}
    for screen in (HomeScreen, ReviewScreen, SummaryScreen):
        for binding in screen.BINDINGS:
            assert isinstance(binding, Binding)
            if binding.show:
                assert set(binding.key.split(",")) <= described, binding


async def test_command_palette_offers_the_screen_actions(app: QuizApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "enter")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in ("Undo", "Suspend card", "Bury card", "Flag card", "End session", "Help"):
            assert title in titles
        assert "Theme" in " ".join(titles)
        await press(pilot, "ctrl+p")
        assert "Search for commands" in screen_text(app)


def test_tui_never_imports_the_store_or_sqlalchemy() -> None:
    root = Path(__file__).parents[2] / "quiz" / "tui"
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(("sqlalchemy", "quiz.store")), (path, name)
            # Nor does it open transactions itself: screens ask the services.
            if isinstance(node, ast.Attribute) and node.attr == "store":
                raise AssertionError(f"{path}:{node.lineno} uses the store directly")


async def test_starting_in_a_review_reads_the_counts_only_when_home_is_shown(
    tiny: Quiz, monotonic: FakeMonotonic
) -> None:
    # The home screen under the review screen must not compete with the first card.
    app = make_app(tiny, monotonic=monotonic, start_review=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        home = app.screen_stack[-2]
        assert isinstance(home, HomeScreen) and not home.loaded
        await press(pilot, "q")
        await settle(pilot)
        assert app.screen is home and home.loaded
        assert "Tiny deck" in screen_text(app)


async def test_the_first_counts_are_read_before_the_app_starts(app: QuizApp) -> None:
    # Start-up: the first frame shows the counts, read before Textual started; later
    # visits read afresh.
    first = app.first_counts
    assert first is not None
    async with app.run_test(size=(80, 24)) as pilot:
        home = app.screen
        assert isinstance(home, HomeScreen) and home.loaded and home.first_counts is None
        assert home.decks == first.decks and not app.workers
        await press(pilot, "enter", "space", "3", "q", "q")  # one answer, summary, home
        await settle(pilot)
        assert app.screen is home
        assert "1 card · 1 answer" in screen_text(app)


async def test_an_error_reading_the_first_counts_is_reported(
    tiny: Quiz, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(quiz: Quiz) -> object:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("quiz.tui.screens.home.deck_overview", broken)
    app = make_app(tiny, monotonic=FakeMonotonic())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen) and not app.screen.loaded
        assert any("disk on fire" in str(n.message) for n in app._notifications)


async def test_starting_in_a_review_builds_the_home_screen_when_it_is_shown(
    tiny: Quiz, monotonic: FakeMonotonic
) -> None:
    # The home screen waits under the first card without widgets: building them (styles,
    # table, footer) would delay the card.
    app = make_app(tiny, monotonic=monotonic, start_review=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        home = app.screen_stack[-2]
        assert isinstance(home, HomeScreen) and not home.built
        assert not home.query(DataTable)
        await press(pilot, "q")
        await settle(pilot)
        assert app.screen is home and home.built
        assert " ".join(screen_text(app).split()).count("Tiny deck 4 0 0 0") == 1


def test_the_progress_line_counts_in_words() -> None:
    one = progress_line(Today(answers=1, cards=1, seconds=3, streak=1, longest_streak=1))
    assert one.plain == "Today  1 card · 1 answer · 3 s     Streak  1 day (best 1)"
    many = progress_line(Today(answers=1204, cards=2, seconds=75, streak=3, longest_streak=9))
    assert many.plain == "Today  2 cards · 1,204 answers · 1 min 15 s     Streak  3 days (best 9)"
