"""One card on its own, front then back, as a student sees it; opened from the statistics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header

from quiz.services.cards import CardInfo, card_info
from quiz.services.context import Quiz
from quiz.tui.widgets.card_view import CardDisplay, CardView


class CardPreviewScreen(Screen[None]):
    """Shows one card; space flips it, i shows its details. Nothing is graded or saved."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space,enter", "flip", "Flip"),
        Binding("i", "details", "Info"),
        Binding("escape,q", "app.pop_screen", "Back"),
    ]

    @dataclass
    class Loaded(Message):
        info: CardInfo | None

    def __init__(self, quiz: Quiz, card_id: int) -> None:
        super().__init__()
        self.quiz = quiz
        self.card_id = card_id
        self.display_state: CardDisplay | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield CardView(id="card")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = "card preview: nothing is saved"
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="card-preview")
    def load(self) -> None:
        self.post_message(self.Loaded(card_info(self.quiz, self.card_id)))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        if message.info is None:
            self.notify("That card no longer exists.", severity="warning", markup=False)
            self.app.pop_screen()
            return
        self.display_state = CardDisplay(message.info)
        self.query_one(CardView).shown = self.display_state

    def action_flip(self) -> None:
        d = self.display_state
        if d is not None:
            self.display_state = CardDisplay(d.info, not d.revealed, d.chosen, d.details)
            self.query_one(CardView).shown = self.display_state

    def action_details(self) -> None:
        d = self.display_state
        if d is not None:
            self.display_state = CardDisplay(d.info, d.revealed, d.chosen, not d.details)
            self.query_one(CardView).shown = self.display_state
