"""The home screen: decks with today's new / due / learning counts, progress and streak."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker, WorkerState

from quiz.charts import duration
from quiz.services.context import Quiz
from quiz.services.overview import DeckOverview, Today, deck_overview, today_progress
from quiz.tui.text import clean, plain

ALL = "*"
"""Row key of the first row, which studies every deck."""

TITLE_WIDTH = 40
"""Longer deck titles are cut with an ellipsis so the counts stay on screen."""


def progress_line(today: Today) -> Text:
    """Today's answers and time, and the streak."""
    text = Text(end="")
    text.append("Today  ", style="bold")
    if today.answers:
        text.append(f"{today.cards} cards · {today.answers} answers · {duration(today.seconds)}")
    else:
        text.append("nothing studied yet")
    text.append("     Streak  ", style="bold")
    days = "day" if today.streak == 1 else "days"
    text.append(f"{today.streak} {days} (best {today.longest_streak})")
    return text


class HomeScreen(Screen[None]):
    """Lists the decks; enter studies the selected row."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,space", "study", "Study selected", priority=True),
        Binding("r", "study_all", "Review all"),
        Binding("s", "stats", "Statistics"),
        Binding("q", "app.quit", "Quit"),
    ]

    @dataclass
    class StartReview(Message):
        """The learner asked to study these decks (None: every deck)."""

        deck_keys: list[str] | None

    @dataclass
    class Loaded(Message):
        """Today's counts, read in a worker."""

        decks: list[DeckOverview]
        today: Today

    def __init__(self, quiz: Quiz, deck_keys: list[str] | None = None) -> None:
        super().__init__()
        self.quiz = quiz
        self.deck_keys = deck_keys
        self.decks: list[DeckOverview] = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="today", markup=False)
        table: DataTable[str | Text] = DataTable(id="decks", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="empty", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        day = self.quiz.today()
        self.sub_title = f"{day:%A} {day.day} {day:%B %Y}"
        table = self.query_one(DataTable)
        table.add_column("Deck", key="deck")
        for label, key in (("New", "new"), ("Due", "due"), ("Learning", "learn")):
            table.add_column(label, key=key)
        table.add_column("Tomorrow", key="tomorrow")

    def on_screen_resume(self) -> None:
        # Started straight into a review, the app pushes this screen and the review screen
        # at once: count when this screen is really shown, not while the first card loads.
        if self.app.screen is self:
            self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="home")
    def load(self) -> None:
        decks = deck_overview(self.quiz)
        if self.deck_keys is not None:
            decks = [d for d in decks if d.key in self.deck_keys]
        self.post_message(self.Loaded(decks, today_progress(self.quiz)))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        self.decks = message.decks
        self.loaded = True
        self.query_one("#today", Static).update(progress_line(message.today))
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        if self.decks:
            new = sum(d.new for d in self.decks)
            due = sum(d.due for d in self.decks)
            learn = sum(d.redrill for d in self.decks)
            tomorrow = sum(d.due_tomorrow for d in self.decks)
            table.add_row(
                *counts(Text("All decks", style="bold"), new, due, learn, tomorrow), key=ALL
            )
        for d in self.decks:
            table.add_row(
                *counts(short(d.title), d.new, d.due, d.redrill, d.due_tomorrow), key=d.key
            )
        table.move_cursor(row=min(row, max(table.row_count - 1, 0)))
        empty = self.query_one("#empty", Static)
        empty.display = not self.decks
        empty.update("No decks yet. Import one with:  quiz import DECK.yaml")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            message = clean(str(event.worker.error))
            self.notify(
                f"Could not read the decks: {message}", severity="error", timeout=10, markup=False
            )

    def selected_keys(self) -> list[str] | None:
        table = self.query_one(DataTable)
        if not self.decks or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return None if key in (None, ALL) else [str(key)]

    def action_stats(self) -> None:
        """Statistics for the selected deck (or every deck on the first row)."""
        from quiz.tui.screens.stats import StatsScreen  # loaded when first shown

        keys = self.selected_keys()
        self.app.push_screen(StatsScreen(self.quiz, deck=keys[0] if keys else None))

    def action_study(self) -> None:
        self.start(self.selected_keys())

    def action_study_all(self) -> None:
        self.start(None)

    def start(self, keys: list[str] | None) -> None:
        if not self.loaded:
            return
        chosen = [d for d in self.decks if keys is None or d.key in keys]
        if not chosen:
            self.notify("No decks to study. Import one with: quiz import DECK.yaml", markup=False)
            return
        if sum(d.to_study for d in chosen) == 0:
            tomorrow = sum(d.due_tomorrow for d in chosen)
            self.notify(f"Nothing due today. {tomorrow} due tomorrow.", markup=False)
            return
        scope = keys if keys is not None else self.deck_keys
        self.post_message(self.StartReview(scope))

    def palette_commands(self) -> Iterable[tuple[str, str, Callable[[], object]]]:
        yield "Review all decks", "Start today's review of every deck", self.action_study_all
        yield "Study selected deck", "Start today's review of the selected row", self.action_study
        yield "Refresh", "Read today's counts again", self.load
        yield "Statistics", "Reviews, streaks, forecast, retention, weak topics", self.action_stats


def short(title: str) -> Text:
    text = plain(title)
    text.truncate(TITLE_WIDTH, overflow="ellipsis")
    return text


def counts(
    title: Text, new: int, due: int, learn: int, tomorrow: int
) -> tuple[Text, Text, Text, Text, Text]:
    """A table row: the title, then counts right-aligned and dimmed when zero."""
    cells = [title]
    for value, style in ((new, "bold"), (due, "bold"), (learn, "bold"), (tomorrow, "")):
        cells.append(Text(str(value), style=style if value else "dim", justify="right"))
    return cells[0], cells[1], cells[2], cells[3], cells[4]
