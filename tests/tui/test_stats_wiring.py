"""The statistics screen from home (s), and a hardest card previewed from it."""

from __future__ import annotations

from quiz.services.context import Quiz
from quiz.tui import QuizApp
from quiz.tui.screens.card_preview import CardPreviewScreen
from quiz.tui.screens.home import HomeScreen
from quiz.tui.screens.stats import StatsScreen
from quiz.tui.widgets.card_view import CardView
from tests.tui.conftest import card_id, press, screen_text, settle


async def test_s_opens_statistics_and_a_preview_shows_the_card(app: QuizApp, tiny: Quiz) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "s")
        await settle(pilot)
        assert isinstance(app.screen, StatsScreen)
        # The hardest-cards table asks for a preview with this message.
        app.screen.post_message(StatsScreen.PreviewRequested(card_id(tiny, "tiny:capital:0")))
        await settle(pilot)
        assert isinstance(app.screen, CardPreviewScreen)
        assert "Capital of France?" in screen_text(app)
        await press(pilot, "space")
        await settle(pilot)
        shown = app.screen.query_one(CardView).shown
        assert shown is not None and shown.revealed
        await press(pilot, "escape")
        await settle(pilot)
        assert isinstance(app.screen, StatsScreen)
        await press(pilot, "escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
