"""The statistics screen: activity heatmap, forecast, retention, card states, weak topics, time.

Figures come from ``quiz.services.stats.compute_stats`` in a worker thread; the screen
only lays them out, in five tabs that each fit an 80x24 terminal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from quiz.charts import days, duration, hbar, percent, plural, short_duration
from quiz.services.context import Quiz
from quiz.services.stats import Distribution, Stats, compute_stats
from quiz.tui.text import clean
from quiz.tui.widgets.bar_chart import BarChart
from quiz.tui.widgets.heatmap import Heatmap

TABS = ("activity", "forecast", "cards", "topics", "hardest")


def _line(text: Text, label: str, value: str) -> None:
    """Append a 'Label     value' line, the label bold and padded to 10 columns."""
    if text.plain:
        text.append("\n")
    text.append(f"{label:<10}", style="bold")
    text.append(value)


class StatsPane(VerticalScroll):
    """One tab's content, rebuilt whenever new figures arrive."""

    stats: reactive[Stats | None] = reactive(None, recompose=True)

    def compose(self) -> ComposeResult:
        if self.stats is None:
            yield Static("Loading statistics…", classes="loading", markup=False)
        else:
            yield from self.parts(self.stats)

    def parts(self, s: Stats) -> ComposeResult:
        raise NotImplementedError


class ActivityPane(StatsPane):
    def parts(self, s: Stats) -> ComposeResult:
        a = s.activity
        text = Text(end="")
        _line(text, "Reviews", f"{plural(a.answers, 'answer')} on {plural(a.active_days, 'day')}")
        _line(
            text,
            "Streak",
            f"{plural(a.current_streak, 'day')} (longest {a.longest_streak})",
        )
        yield Static(text, markup=False)
        yield Heatmap(a.by_day(), a.start, a.end, id="heatmap")
        yield Static(retention_table(s), classes="section", markup=False)


class ForecastPane(StatsPane):
    def parts(self, s: Stats) -> ComposeResult:
        f, load = s.forecast, s.load
        text = Text(end="")
        _line(text, "Due", f"{f.total:,} in {len(f.due)} days ({f.overdue:,} overdue)")
        text.append(
            f" · today {load.new} new, {load.reviews} reviews, {load.redrill} re-drill left"
        )
        yield Static(text, markup=False)
        labels = {0: "today", 7: "+7d", 14: "+14d", 21: "+21d"}
        yield BarChart(f.due, bar_height=6, labels=labels, id="forecast-chart")
        t = s.time
        per = t.seconds_per_answer
        text = Text(end="")
        _line(
            text,
            "Time",
            f"{duration(t.total_seconds)} in {len(t.ms)} days · "
            f"{'–' if per is None else f'{per:.1f} s'} per answer",
        )
        yield Static(text, classes="section", markup=False)
        last = len(t.ms) - 1
        yield BarChart(
            t.ms,
            bar_height=4,
            labels={0: f"-{last}d", last - 2: "today"},
            peak_label=short_duration(max(t.ms, default=0) / 1000),
            id="time-chart",
        )


class CardsPane(StatsPane):
    def parts(self, s: Stats) -> ComposeResult:
        c = s.cards
        text = Text(end="")
        _line(
            text,
            "Cards",
            f"{c.total:,} live: {c.new:,} new · {c.learning:,} learning · "
            f"{c.young:,} young · {c.mature:,} mature",
        )
        _line(text, "", f"{c.suspended:,} suspended · {plural(c.leech, 'leech', 'leeches')}")
        yield Static(text, markup=False)
        with Horizontal(classes="section distributions"):
            yield Static(distribution("Ease (EF)", s.ef, ef=True), markup=False)
            yield Static(distribution("Interval", s.intervals, ef=False), markup=False)


class TopicsPane(StatsPane):
    def parts(self, s: Stats) -> ComposeResult:
        text = Text(end="")
        text.append("Weakest topics", style="bold")
        text.append("  scheduled answers passed, last 90 days, 5+ answers", style="dim")
        if not s.weakest_tags:
            text.append("\nnot enough answers yet")
        for t in s.weakest_tags:
            r = t.accuracy
            tag = clean(t.tag)
            tag = tag if len(tag) <= 40 else tag[:39] + "…"
            text.append(f"\n{tag:<40} {percent(r.rate):>5} {f'{r.passed:,}/{r.total:,}':>9} ")
            text.append(hbar(r.rate or 0, 1, 20), style="bold")
        yield Static(text, markup=False)


class HardestPane(StatsPane):
    def parts(self, s: Stats) -> ComposeResult:
        text = Text(end="")
        text.append("Hardest cards", style="bold")
        text.append("  lowest EF, most lapses · enter or p previews", style="dim")
        yield Static(text, markup=False)
        table: DataTable[str | Text] = DataTable(id="hardest-cards", cursor_type="row")
        table.add_columns("EF", "Lapses", "Interval", "Card")
        for h in s.hardest_cards:
            flags = [f for f, on in (("leech", h.leech), ("suspended", h.suspended)) if on]
            card = Text(clean(h.ref))
            if flags:
                card.append(f"  {', '.join(flags)}", style="italic")
            table.add_row(
                f"{h.ef / 100:.2f}", str(h.lapses), days(h.interval), card, key=str(h.card_id)
            )
        yield table
        if not s.hardest_cards:
            yield Static("none yet", markup=False)


def retention_table(s: Stats) -> Text:
    """Retention per window: young, mature and all review cards."""
    text = Text(end="", no_wrap=True)
    text.append("Retention", style="bold")
    text.append("  review-card answers graded q >= 3", style="dim")
    text.append("\n" + " " * 8 + "".join(f"{f'{w.days} days':>17}" for w in s.retention))
    for name in ("young", "mature", "all"):
        text.append(f"\n{name:<8}", style="bold")
        for w in s.retention:
            r = getattr(w, name)
            text.append(f"{percent(r.rate):>6} {f'{r.passed:,}/{r.total:,}':>10} ")
    return text


def distribution(title: str, d: Distribution, *, ef: bool) -> Text:
    """A bucketed distribution as labelled horizontal bars, with its mean."""
    mean = "–" if d.mean is None else f"{d.mean / 100:.2f}" if ef else days(d.mean)
    text = Text(end="", no_wrap=True)
    text.append(title, style="bold")
    text.append(f"  mean {mean}")
    peak = max((b.count for b in d.buckets), default=0)
    for b in d.buckets:
        text.append(f"\n{b.label:<10}{b.count:>6} ")
        text.append(hbar(b.count, peak, 16), style="bold")
    return text


class StatsScreen(Screen[None]):
    """Where the learner stands, for every deck, one deck or one tag; escape closes it."""

    DEFAULT_CSS = """
    StatsScreen StatsPane {
        padding: 0 1;
    }
    StatsScreen .section {
        margin-top: 1;
    }
    StatsScreen .loading {
        color: $text-muted;
    }
    StatsScreen .distributions {
        height: auto;
    }
    StatsScreen .distributions > Static {
        width: 1fr;
    }
    StatsScreen #hardest-cards {
        height: auto;
        max-height: 100%;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back"),
        Binding("r", "reload", "Refresh"),
        Binding("p", "preview", "Preview card"),
        *[
            Binding(str(i + 1), f"show_tab('{tab}')", tab.title(), show=False)
            for i, tab in enumerate(TABS)
        ],
    ]

    @dataclass
    class PreviewRequested(Message):
        """The learner asked to see one of the hardest cards."""

        card_id: int

    @dataclass
    class Loaded(Message):
        """Figures computed in the worker."""

        stats: Stats

    def __init__(
        self,
        quiz: Quiz | None = None,
        *,
        deck: str | None = None,
        tag: str | None = None,
        stats: Stats | None = None,
    ) -> None:
        """Show statistics computed now from ``quiz``, or the ``stats`` given (tests, snapshots).

        Raises:
            ValueError: If neither a collection nor figures are given.
        """
        if quiz is None and stats is None:
            raise ValueError("StatsScreen needs a collection or computed statistics")
        super().__init__()
        self.quiz = quiz
        self.deck = deck
        self.tag = tag
        self.stats = stats

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="tabs"):
            for tab, pane in zip(
                TABS,
                (ActivityPane, ForecastPane, CardsPane, TopicsPane, HardestPane),
                strict=True,
            ):
                with TabPane(tab.title(), id=tab):
                    yield pane()
        yield Footer(compact=True)

    def on_mount(self) -> None:
        scope = [f"deck {self.deck}" if self.deck else "", f"tag {self.tag}" if self.tag else ""]
        self.title = "Statistics"
        self.sub_title = clean(", ".join(s for s in scope if s) or "all decks")
        if self.stats is not None:
            self.show(self.Loaded(self.stats))
        else:
            self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="stats")
    def load(self) -> None:
        assert self.quiz is not None
        self.post_message(self.Loaded(compute_stats(self.quiz, self.deck, self.tag)))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        self.stats = message.stats
        for pane in self.query(StatsPane):
            pane.stats = message.stats

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            error = event.worker.error or Exception()
            message = clean(self.quiz.explain(error) if self.quiz is not None else str(error))
            self.notify(f"Could not compute statistics: {message}", severity="error", timeout=10)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reload":
            return self.quiz is not None
        if action == "preview":
            on_hardest = any(t.active == "hardest" for t in self.query(TabbedContent))
            return on_hardest and bool(self.stats and self.stats.hardest_cards)
        return True

    def action_close(self) -> None:
        self.dismiss(None)

    def action_reload(self) -> None:
        if self.quiz is not None:
            self.load()

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "hardest":
            # Straight to the list, so enter previews the highlighted card.
            for table in self.query("#hardest-cards").results(DataTable):
                table.focus()

    def action_preview(self) -> None:
        tables = self.query("#hardest-cards").results(DataTable)
        for table in tables:
            if table.row_count:
                key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
                if key is not None:
                    self.post_message(self.PreviewRequested(int(key)))

    @on(DataTable.RowSelected, "#hardest-cards")
    def preview_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.PreviewRequested(int(event.row_key.value)))

    @on(TabbedContent.TabActivated)
    def tab_changed(self) -> None:
        self.refresh_bindings()
