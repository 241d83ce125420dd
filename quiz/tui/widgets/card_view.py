"""A card's front or back, for every note type, as literal text.

The review screen uses it to study; a preview command can use it to browse
cards without grading. It only displays: which side shows, which option was
picked and whether details are open all come from its owner.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Rule, Static

from quiz.domain.notes import LETTERS, CardFace, McqOption, NoteType
from quiz.services.cards import CardInfo
from quiz.tui.text import clean, plain

KIND_LABELS = {
    NoteType.BASIC: "basic",
    NoteType.REVERSED: "reversed",
    NoteType.CLOZE: "cloze",
    NoteType.MCQ: "multiple choice",
}


def kind_label(face: CardFace) -> str:
    """What kind of card this is, e.g. 'reversed (back → front)'."""
    label = KIND_LABELS.get(face.type, str(face.type))
    if face.type is NoteType.REVERSED:
        return f"{label} ({'back → front' if face.ord == 1 else 'front → back'})"
    if face.type is NoteType.CLOZE:
        return f"{label} c{face.ord}"
    return label


def source_line(info: CardInfo) -> str | None:
    """The card's source as one line: title, section and address when known."""
    ref = info.face.source
    if ref is None and info.source is None:
        return None
    parts = [info.source.title if info.source else ref.source if ref else ""]
    if ref is not None and ref.section:
        parts.append(ref.section)
    line = ", ".join(clean(p) for p in parts if p)
    if info.source is not None and info.source.url:
        line += f" <{clean(info.source.url)}>"
    return line


@dataclass(frozen=True, slots=True)
class CardDisplay:
    """What a CardView shows: one card, which side, and what the learner picked."""

    info: CardInfo
    revealed: bool = False
    chosen: str | None = None
    """The option letter picked on a multiple-choice card."""

    details: bool = False
    """Show the card's reference, source, extra notes and tags."""


class OptionLine(Static):
    """One multiple-choice option; clicking it picks it."""

    def __init__(self, letter: str, content: Text, classes: str) -> None:
        super().__init__(content, classes=classes, markup=False)
        self.letter = letter

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.post_message(CardView.OptionChosen(self.letter))


class CardView(VerticalScroll):
    """Shows one card: the prompt, then (revealed) its answer and explanations."""

    @dataclass
    class OptionChosen(Message):
        """The learner clicked a multiple-choice option."""

        letter: str

    shown: reactive[CardDisplay | None] = reactive(None, recompose=True)
    """The card on display, or None for an empty view."""

    def watch_shown(self, old: CardDisplay | None, new: CardDisplay | None) -> None:
        if new is None or old is None or old.info.card_id != new.info.card_id:
            self.scroll_home(animate=False)

    def compose(self) -> ComposeResult:
        shown = self.shown
        if shown is None:
            return
        face = shown.info.face
        yield Static(plain(face.prompt), classes="prompt", markup=False)
        if face.options:
            yield from self._options(face.options, shown)
        if shown.revealed:
            yield Rule(classes="divider")
            yield from self._back(shown)
        if shown.details:
            yield from self._details(shown)

    def _options(self, options: tuple[McqOption, ...], shown: CardDisplay) -> ComposeResult:
        for letter, option in zip(LETTERS, options, strict=False):
            mark, cls = "  ", "option"
            if shown.revealed:
                if option.correct:
                    mark, cls = "✓ ", "option -correct"
                elif letter == shown.chosen:
                    mark, cls = "✗ ", "option -wrong"
                else:
                    cls = "option -other"
            line = Text(mark, end="")
            line.append(f"{letter}  ", style="bold")
            line.append_text(plain(option.text))
            if letter == shown.chosen:
                line.append("  ← your answer", style="italic")
                cls += " -chosen"
            yield OptionLine(letter, line, cls)
            if shown.revealed and option.explanation:
                yield Static(plain(option.explanation), classes="explanation", markup=False)

    def _back(self, shown: CardDisplay) -> ComposeResult:
        face = shown.info.face
        if face.type is not NoteType.MCQ:
            yield Static(plain(face.answer), classes="answer", markup=False)
        if face.context and face.context != face.answer:
            yield Static(plain(face.context), classes="context", markup=False)
        if face.extra and not shown.details:
            yield Static(plain(face.extra), classes="extra", markup=False)
        source = source_line(shown.info)
        if source and not shown.details:
            yield Static(plain(f"Source: {source}"), classes="source", markup=False)

    def _details(self, shown: CardDisplay) -> ComposeResult:
        info = shown.info
        yield Rule(classes="divider")
        # The extra explains the answer, so it would give it away before it is shown.
        if info.face.extra and shown.revealed:
            yield Static(plain(info.face.extra), classes="extra", markup=False)
        rows = [
            ("Source", source_line(info) or "none given"),
            ("Deck", info.deck_title),
            ("Card", info.ref),
            ("Tags", " ".join(info.tags) or "none"),
        ]
        table = Text(end="")
        for i, (name, value) in enumerate(rows):
            if i:
                table.append("\n")
            table.append(f"{name:<8}", style="bold")
            table.append_text(plain(value))
        yield Static(table, classes="details", markup=False)
