"""The end of a session: cards reviewed, accuracy, time, the cards missed and tomorrow's load."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar, Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from quiz.charts import duration, plural
from quiz.services.review import Summary
from quiz.tui.text import plain

SummaryResult = Literal["home", "undo"]


def figures(summary: Summary) -> Text:
    """The session's numbers as aligned lines."""
    accuracy = summary.accuracy
    rows = [
        ("Cards reviewed", f"{summary.cards}  ({summary.answers} answers)"),
        (
            "Accuracy",
            "–"
            if accuracy is None
            else f"{accuracy:.0%}  ({summary.passed_first} of {summary.cards} "
            "right the first time)",
        ),
        ("Time spent", duration(summary.seconds)),
        ("Left today", str(summary.left_today)),
        ("Due tomorrow", str(summary.due_tomorrow)),
    ]
    text = Text(end="")
    for i, (name, value) in enumerate(rows):
        if i:
            text.append("\n")
        text.append(f"{name:<16}", style="bold")
        text.append(value)
    return text


class SummaryScreen(Screen[SummaryResult]):
    """Shows what a session did; dismisses with 'undo' to take back its last answer."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,q,escape", "home", "Back to decks"),
        Binding("u", "undo", "Undo last answer"),
    ]

    def __init__(self, summary: Summary, *, ended_early: bool = False) -> None:
        super().__init__()
        self.summary = summary
        self.ended_early = ended_early

    def compose(self) -> ComposeResult:
        s = self.summary
        left = plural(s.left_today, "card")
        if self.ended_early:
            title = "Session ended. Every answer is saved."
        elif s.left_today:
            # Suspending or burying frees a new card's place: say so, never "complete".
            title = f"Not done yet: {left} left to study today. Enter goes back to your decks."
        elif s.answers == 0:
            title = "Nothing to study right now."
        else:
            title = "Session complete. Well done."
        yield Header()
        with VerticalScroll(id="summary"):
            yield Static(title, classes="title", markup=False)
            yield Static(figures(s), classes="figures", markup=False)
            if s.missed:
                yield Static(f"Missed ({len(s.missed)})", classes="heading", markup=False)
                for card in s.missed:
                    yield Static(plain(card.face.prompt), classes="missed-prompt", markup=False)
                    yield Static(
                        plain(f"→ {card.face.answer}"), classes="missed-answer", markup=False
                    )
        yield Footer(compact=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "undo":
            return self.summary.undoable > 0
        return True

    def action_home(self) -> None:
        self.dismiss("home")

    def action_undo(self) -> None:
        self.dismiss("undo")

    def palette_commands(self) -> Iterable[tuple[str, str, Callable[[], object]]]:
        yield "Back to decks", "Leave the summary", self.action_home
        if self.summary.undoable:
            yield "Undo", "Take back the last action and see the card again", self.action_undo
