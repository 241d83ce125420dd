"""The line above a card: session progress, cards left and cards waiting to be re-drilled."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a session stands."""

    answered: int
    remaining: int
    """Cards not yet seen this session."""

    to_redrill: int
    """Cards graded below 4 today that come back before the session ends (SM-2 step 7)."""

    @property
    def total(self) -> int:
        return self.answered + self.remaining + self.to_redrill

    def counts(self) -> str:
        text = f"{self.answered}/{self.total} · {self.remaining} left"
        if self.to_redrill:
            text += f" · {self.to_redrill} to re-drill"
        return text


class SessionBar(Horizontal):
    """A progress bar with the session's counts beside it."""

    def compose(self) -> ComposeResult:
        yield ProgressBar(total=1, show_percentage=False, show_eta=False, id="progress")
        yield Static("", id="counts", markup=False)

    def show(self, progress: Progress) -> None:
        self.query_one(ProgressBar).update(total=max(progress.total, 1), progress=progress.answered)
        self.query_one("#counts", Static).update(progress.counts())
