"""The statistics screen on a minimal app: loading in a worker, tabs, preview requests, closing.

The history is the scripted one of tests/store/test_stats.py (today is 2 Dec 2026), on a
SQLite file, so the figures on screen are the ones asserted there.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from textual import on
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable, Static, TabbedContent

from quiz.services import Quiz
from quiz.services.stats import Stats, compute_stats
from quiz.tui.screens.stats import StatsPane, StatsScreen
from quiz.tui.widgets.bar_chart import BarChart
from quiz.tui.widgets.heatmap import Heatmap
from tests.conftest import FakeClock
from tests.store.test_stats import build_history
from tests.tui.conftest import settle


class StatsApp(App[None]):
    """Just enough app to host the screen and record what it asks of the app."""

    def __init__(self, screen: StatsScreen, theme: str = "textual-dark") -> None:
        super().__init__()
        self.stats_screen = screen
        self.previews: list[int] = []
        self.notes: list[str] = []
        self.initial_theme = theme

    def on_mount(self) -> None:
        self.theme = self.initial_theme
        self.push_screen(self.stats_screen)

    @on(StatsScreen.PreviewRequested)
    def record_preview(self, message: StatsScreen.PreviewRequested) -> None:
        self.previews.append(message.card_id)

    def notify(self, message: str, **options: Any) -> None:
        self.notes.append(message)
        super().notify(message, **options)


@pytest.fixture
def history(tmp_path: Path) -> Iterator[Quiz]:
    clock = FakeClock()
    quiz = Quiz.open(f"sqlite:///{tmp_path / 'quiz.sqlite3'}", learner="ann", clock=clock, tz=UTC)
    build_history(quiz, clock, tmp_path)
    yield quiz
    quiz.close()


@pytest.fixture
def stats(history: Quiz) -> Stats:
    return compute_stats(history)


def text_of(widget: Static) -> str:
    return str(widget.render())


async def test_figures_are_computed_in_a_worker_and_shown(history: Quiz) -> None:
    app = StatsApp(StatsScreen(history, deck="med"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, StatsScreen) and screen.sub_title == "deck med"
        assert all(pane.stats is not None for pane in screen.query(StatsPane))
        summary = text_of(screen.query_one("ActivityPane Static", Static))
        assert "17 answers on 4 days" in summary and "1 day (longest 3)" in summary
        assert screen.query_one(Heatmap).grid.peak == 7
        await pilot.press("2")
        assert screen.query_one(TabbedContent).active == "forecast"
        assert screen.query_one("#forecast-chart", BarChart).values[:2] == (2, 1)


async def test_hardest_cards_ask_the_app_for_a_preview(history: Quiz, stats: Stats) -> None:
    app = StatsApp(StatsScreen(history, stats=stats))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        a2, b1 = (h.card_id for h in stats.hardest_cards[:2])
        await pilot.press("p")  # not on the hardest tab: nothing to preview
        assert app.previews == []
        await pilot.press("5")
        table = app.screen.query_one("#hardest-cards", DataTable)
        assert table.row_count == 3
        assert table.has_focus
        await pilot.press("p", "down", "enter")
        assert app.previews == [a2, b1]


async def test_refresh_recomputes_and_escape_closes(history: Quiz) -> None:
    app = StatsApp(StatsScreen(history))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, StatsScreen) and screen.stats is not None
        first = screen.stats
        await pilot.press("r")
        await settle(pilot)
        assert screen.stats is not first and screen.stats == first
        await pilot.press("escape")
        assert not isinstance(app.screen, StatsScreen)


async def test_an_unknown_deck_is_reported_not_raised(history: Quiz) -> None:
    app = StatsApp(StatsScreen(history, deck="nope"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.notes == [
            "Could not compute statistics: no deck with id 'nope'; `quiz decks` lists them"
        ]
        assert "Loading" in text_of(app.screen.query_one(".loading", Static))


def test_a_screen_needs_a_collection_or_figures() -> None:
    with pytest.raises(ValueError, match="collection or computed statistics"):
        StatsScreen()


def test_snapshot_activity_dark(snap_compare: Any, stats: Stats) -> None:
    assert snap_compare(StatsApp(StatsScreen(stats=stats)), terminal_size=(80, 24))


def test_snapshot_forecast_light(snap_compare: Any, stats: Stats) -> None:
    async def forecast(pilot: Pilot[None]) -> None:
        await pilot.press("2")

    app = StatsApp(StatsScreen(stats=stats), theme="textual-light")
    assert snap_compare(app, terminal_size=(80, 24), run_before=forecast)
