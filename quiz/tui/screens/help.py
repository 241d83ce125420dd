"""The help screen: every key of the app, from ``quiz.tui.keys``."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from quiz.tui.keys import KEYS, MCQ_NOTE


def key_table() -> Group:
    """Every key, grouped by screen, in two columns that wrap on their own."""
    parts: list[RenderableType] = []
    for section, keys in KEYS:
        table = Table.grid(padding=(0, 2), pad_edge=False)
        table.add_column(no_wrap=True, style="bold")
        table.add_column(ratio=1)
        for key, what in keys:
            table.add_row(key, what)
        parts += [Text(section, style="bold underline"), table, Text("")]
    parts.append(Text(MCQ_NOTE, style="italic"))
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    """Lists every key; any of escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(key_table(), markup=False)

    def on_mount(self) -> None:
        self.query_one("#help").border_title = "Keys"
        self.query_one("#help").border_subtitle = "escape closes · ctrl+p for commands"

    def action_close(self) -> None:
        self.dismiss()
