"""Asking why a card is flagged (one optional line), and whether to clear a flag."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from quiz.tui.text import clean

REASON_MAX = 200
"""A reason is one line an instructor reads in a report; longer ones are cut here."""


class FlagReasonScreen(ModalScreen[str | None]):
    """Returns the reason typed (None when left empty, or escape skips it)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "skip", "Flag without a reason")]

    def compose(self) -> ComposeResult:
        with Vertical(id="flag-dialog"):
            yield Static("Flag this card for the instructor. Why? (optional)", markup=False)
            yield Input(
                placeholder="e.g. two options look right",
                max_length=REASON_MAX,
                id="flag-reason",
            )
            yield Static("enter flags · escape flags without a reason", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#flag-dialog").border_title = "Flag"

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        reason = " ".join(event.value.split())  # one line, however it was pasted
        self.dismiss(reason or None)

    def action_skip(self) -> None:
        self.dismiss(None)


class ClearFlagScreen(ModalScreen[bool]):
    """Asks whether to clear the learner's flag: y clears, n or escape keeps it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Clear the flag"),
        Binding("n,escape", "answer(False)", "Keep it"),
    ]

    def __init__(self, reason: str | None) -> None:
        super().__init__()
        self.reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(id="flag-dialog"):
            said = "You flagged this card"
            said += f": {clean(self.reason)}" if self.reason else "."
            yield Static(said, markup=False)
            yield Static("Clear the flag?  y clears · n or escape keeps it", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#flag-dialog").border_title = "Flagged"

    def action_answer(self, clear: bool) -> None:
        self.dismiss(clear)
