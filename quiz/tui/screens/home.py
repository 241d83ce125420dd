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

from quiz.charts import duration, plural
from quiz.services.context import Quiz
from quiz.services.overview import DeckOverview, Today, deck_overview, today_progress
from quiz.tui.text import clean, plain

ALL = "*"
"""Row key of the first row, which studies every deck."""

TITLE_WIDTH = 40
"""Longer deck titles are cut with an ellipsis so the counts stay on screen."""


@dataclass(frozen=True, slots=True)
class Counts:
    """What the home screen shows: each deck's counts, and today's progress."""

    decks: list[DeckOverview]
    today: Today


def read_counts(quiz: Quiz, deck_keys: list[str] | None) -> Counts:
    """Today's counts of the decks (all when None), and today's progress (blocking)."""
    decks = deck_overview(quiz)
    if deck_keys is not None:
        decks = [d for d in decks if d.key in deck_keys]
    return Counts(decks, today_progress(quiz))


def first_counts(quiz: Quiz, deck_keys: list[str] | None) -> Counts | None:
    """The counts for the home screen's first frame, read before Textual starts.

    Read in a worker once the screen is up, they would cost a second layout and paint,
    and a worker thread racing Textual's own set-up for the interpreter slows both down.
    None if they cannot be read: the screen's worker then reads again and reports why.
    """
    try:
        return read_counts(quiz, deck_keys)
    except Exception:  # reported by the screen's worker, which reads again
        return None


def progress_line(today: Today) -> Text:
    """Today's answers and time, and the streak."""
    text = Text(end="")
    text.append("Today  ", style="bold")
    if today.answers:
        cards, answers = plural(today.cards, "card"), plural(today.answers, "answer")
        text.append(f"{cards} · {answers} · {duration(today.seconds)}")
    else:
        text.append("nothing studied yet")
    text.append("     Streak  ", style="bold")
    text.append(f"{plural(today.streak, 'day')} (best {today.longest_streak})")
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

        counts: Counts

    def __init__(
        self,
        quiz: Quiz,
        deck_keys: list[str] | None = None,
        *,
        counts: Counts | None = None,
        deferred: bool = False,
    ) -> None:
        """
        Args:
            counts: Counts read before the app started, shown on the first visit;
                later visits read afresh.
            deferred: Build the widgets only when the screen is first shown: started
                straight into a review, this screen waits under the review screen, and
                building it (styles, table, footer) would delay the first card.
        """
        super().__init__()
        self.quiz = quiz
        self.deck_keys = deck_keys
        self.first_counts = counts
        self.built = not deferred
        self.decks: list[DeckOverview] = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        if not self.built:
            return
        yield Header()
        yield Static("", id="today", markup=False)
        table: DataTable[str | Text] = DataTable(id="decks", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="empty", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        if self.built:
            self.set_up()

    def set_up(self) -> None:
        """Title and table columns, once the widgets exist."""
        day = self.quiz.today()
        self.sub_title = f"{day:%A} {day.day} {day:%B %Y}"
        table = self.query_one(DataTable)
        table.add_column("Deck", key="deck")
        for label, key in (("New", "new"), ("Due", "due"), ("Learning", "learn")):
            table.add_column(label, key=key)
        table.add_column("Tomorrow", key="tomorrow")

    async def on_screen_resume(self) -> None:
        # Started straight into a review, the app pushes this screen and the review screen
        # at once: count when this screen is really shown, not while the first card loads.
        if self.app.screen is not self:
            return
        if not self.built:
            self.built = True
            await self.recompose()
            self.set_up()
        first, self.first_counts = self.first_counts, None
        if first is not None:
            self.show_counts(first)
        else:
            self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="home")
    def load(self) -> None:
        self.post_message(self.Loaded(read_counts(self.quiz, self.deck_keys)))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        self.show_counts(message.counts)

    def show_counts(self, read: Counts) -> None:
        self.decks = read.decks
        self.loaded = True
        self.query_one("#today", Static).update(progress_line(read.today))
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
            message = clean(self.quiz.explain(event.worker.error or Exception()))
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
