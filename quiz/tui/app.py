"""The Textual app and ``make_app``, the factory the CLI and the tests both use."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from quiz.services.context import Quiz
from quiz.tui.screens.home import HomeScreen, first_counts

if TYPE_CHECKING:
    from quiz.tui.screens.review import FirstStep, Monotonic
    from quiz.tui.screens.stats import StatsScreen

    PreviewRequested = StatsScreen.PreviewRequested


@runtime_checkable
class HasCommands(Protocol):
    """A screen that offers commands in the command palette while it is on top."""

    def palette_commands(self) -> Iterable[tuple[str, str, Callable[[], object]]]: ...


class QuizApp(App[None]):
    """Daily review in the terminal: home, review, summary and help screens."""

    CSS_PATH = "app.tcss"
    TITLE = "quiz"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("question_mark", "help", "Keys")]

    def __init__(
        self,
        quiz: Quiz,
        deck_keys: list[str] | None = None,
        *,
        monotonic: Monotonic = time.monotonic,
        start_review: bool = False,
    ) -> None:
        super().__init__()
        self.quiz = quiz
        self.deck_keys = deck_keys
        self.monotonic = monotonic
        self.start_review = start_review
        # What the first screen shows is read now, before Textual starts (see first_counts).
        # Started into a review, the counts wait until the home screen is shown: they
        # would delay the first card.
        self.first_counts = None if start_review else first_counts(quiz, deck_keys)
        self.first_step = self.first_review(deck_keys) if start_review else None

    def on_mount(self) -> None:
        home = HomeScreen(
            self.quiz, self.deck_keys, counts=self.first_counts, deferred=self.start_review
        )
        self.push_screen(home)
        if self.start_review:
            first, self.first_step = self.first_step, None
            self.review(self.deck_keys, first)

    @on(HomeScreen.StartReview)
    def start_from_home(self, message: HomeScreen.StartReview) -> None:
        self.review(message.deck_keys)

    def on_stats_screen_preview_requested(self, message: PreviewRequested) -> None:
        from quiz.tui.screens.card_preview import CardPreviewScreen

        self.push_screen(CardPreviewScreen(self.quiz, message.card_id))

    def first_review(self, deck_keys: list[str] | None) -> FirstStep | None:
        from quiz.tui.screens.review import first_step

        return first_step(self.quiz, deck_keys)

    def review(self, deck_keys: list[str] | None, first: FirstStep | None = None) -> None:
        # Loaded when first studied: the home screen, shown first, does not need it.
        from quiz.tui.screens.review import ReviewScreen

        screen = ReviewScreen(self.quiz, deck_keys, monotonic=self.monotonic, first=first)
        self.push_screen(screen)

    def action_help(self) -> None:
        from quiz.tui.screens.help import HelpScreen  # loaded when first asked for

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        if isinstance(screen, HasCommands):
            for title, help_text, callback in screen.palette_commands():
                yield SystemCommand(title, help_text, callback)
        yield SystemCommand("Help", "Every key of quiz, screen by screen", self.action_help)
        yield from super().get_system_commands(screen)


def make_app(
    quiz: Quiz,
    deck_keys: list[str] | None = None,
    *,
    monotonic: Monotonic = time.monotonic,
    start_review: bool = False,
) -> QuizApp:
    """Build the app for an open collection.

    Args:
        quiz: The open collection; the caller opens it (and syncs bundled decks) and closes it.
        deck_keys: Limit the app to these decks; None means every deck.
        monotonic: Clock for answer times in seconds; tests pass a fake one.
        start_review: Open today's review at once instead of the deck list.

    Returns:
        The app, ready to ``run()``.
    """
    return QuizApp(quiz, deck_keys, monotonic=monotonic, start_review=start_review)
