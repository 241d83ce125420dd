"""Preview a deck file card by card, exactly as a student will see it, without any database."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Static

from quiz.domain.mcq import DEFAULT_SEED
from quiz.domain.notes import LETTERS, Deck, NoteType
from quiz.services.cards import CardInfo, as_shown
from quiz.tui.text import plain
from quiz.tui.widgets.card_view import CardDisplay, CardView, kind_label


def deck_cards(
    deck: Deck, note_id: str | None = None, *, day: date | None = None, seed: str = DEFAULT_SEED
) -> list[CardInfo]:
    """Every card of a deck (or of one note), rendered as the review screen renders it.

    Card ids are positions: nothing here is stored. With ``day``, multiple-choice options
    are shuffled as a learner named "preview" would see them that day, so an author sees
    what students see (a correct option that only works in first place shows up).
    """
    infos: list[CardInfo] = []
    for note in deck.notes:
        if note_id is not None and note.id != note_id:
            continue
        source = deck.source(note.source.source) if note.source else None
        for face in note.cards():
            info = CardInfo(len(infos), note.id, deck.id, deck.title, face, source, note.tags)
            if day is not None:
                info = as_shown(info, seed=seed, learner="preview", day=day)
            infos.append(info)
    return infos


class PreviewApp(App[None]):
    """Browse cards: flip, pick multiple-choice options, step forward and back."""

    CSS_PATH = "app.tcss"
    TITLE = "quiz preview"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space,enter", "flip", "Flip"),
        Binding("right,n,j", "move(1)", "Next"),
        Binding("left,p,k", "move(-1)", "Previous"),
        Binding("i", "details", "Info"),
        Binding("q,escape", "quit", "Quit"),
    ]

    def __init__(self, cards: list[CardInfo]) -> None:
        super().__init__()
        self.cards = cards
        self.index = 0
        self.display_state = CardDisplay(cards[0]) if cards else None

    def compose(self) -> ComposeResult:
        yield Static("", id="preview-status", markup=False)
        yield CardView(id="card")
        yield Footer()

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        shown = self.display_state
        self.query_one(CardView).shown = shown
        if shown is None:
            status = "No cards"
        else:
            info = shown.info
            side = "back" if shown.revealed else "front"
            status = (
                f"{self.index + 1}/{len(self.cards)} · {info.ref} · "
                f"{kind_label(info.face)} · {side} · preview: nothing is saved"
            )
        self.query_one("#preview-status", Static).update(plain(status))

    def action_flip(self) -> None:
        if self.display_state is not None:
            self.display_state = CardDisplay(
                self.display_state.info,
                not self.display_state.revealed,
                self.display_state.chosen,
                self.display_state.details,
            )
            self._show()

    def action_move(self, step: int) -> None:
        if not self.cards:
            return
        self.index = max(0, min(len(self.cards) - 1, self.index + step))
        self.display_state = CardDisplay(self.cards[self.index])
        self._show()

    def action_details(self) -> None:
        if self.display_state is not None:
            d = self.display_state
            self.display_state = CardDisplay(d.info, d.revealed, d.chosen, not d.details)
            self._show()

    def _choose(self, letter: str) -> None:
        d = self.display_state
        if d is None or d.info.face.type is not NoteType.MCQ or d.revealed:
            return
        if letter in LETTERS[: len(d.info.face.options)]:
            self.display_state = CardDisplay(d.info, True, letter, d.details)
            self._show()

    @on(CardView.OptionChosen)
    def option_clicked(self, message: CardView.OptionChosen) -> None:
        self._choose(message.letter)

    def on_key(self, event: events.Key) -> None:
        # On an unanswered multiple-choice card a letter picks an option, as in review.
        d = self.display_state
        if (
            d is not None
            and d.info.face.type is NoteType.MCQ
            and not d.revealed
            and event.character
            and event.character in LETTERS[: len(d.info.face.options)]
        ):
            event.stop()
            event.prevent_default()
            self._choose(event.character)
