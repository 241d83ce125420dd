"""The strip under a card: what to press now, and each grade with the interval it would give."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static

from quiz.domain.grading import Grade


def tone(quality: int) -> str:
    """A CSS class for a grade: failing, hard, good or easy."""
    if quality < 3:
        return "-again"
    if quality == 3:
        return "-hard"
    if quality == 4:
        return "-good"
    return "-easy"


@dataclass(frozen=True, slots=True)
class GradeChoices:
    """What the bar offers: a hint before the answer, grades after it."""

    hint: str = ""
    """Shown before the answer is revealed, e.g. 'space  Show answer'."""

    previews: tuple[tuple[Grade, str], ...] = ()
    """Each grade with the interval it would give, once the answer is shown."""

    auto: int | None = None
    """The quality a multiple-choice answer graded itself as (enter accepts it)."""

    verdict: str = ""
    """One line above the grades, e.g. 'Correct: graded Good'."""


class GradeCell(Vertical):
    """One grade: its key and name in the grade's colour, the interval below; clicking grades."""

    def __init__(self, grade: Grade, label: str, auto: bool) -> None:
        classes = f"grade {tone(grade.quality)}" + (" -auto" if auto else "")
        super().__init__(classes=classes)
        self.grade = grade
        self.label = label

    def compose(self) -> ComposeResult:
        name = Text(end="")
        name.append(f" {self.grade.key} ", style="reverse bold")
        name.append(f" {self.grade.label}")
        yield Static(name, classes="name", markup=False)
        yield Static(self.label, classes="interval", markup=False)

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.post_message(GradeBar.Chosen(self.grade.key))


class GradeBar(Vertical):
    """Shows the next step: a hint on the front, the grade keys on the back."""

    @dataclass
    class Chosen(Message):
        """The learner clicked a grade."""

        key: str

    choices: reactive[GradeChoices] = reactive(GradeChoices, recompose=True)

    def compose(self) -> ComposeResult:
        choices = self.choices
        if not choices.previews:
            yield Static(choices.hint, classes="hint", markup=False)
            return
        if choices.verdict:
            yield Static(choices.verdict, classes="verdict", markup=False)
        with Horizontal(classes="grades"):
            for grade, label in choices.previews:
                yield GradeCell(grade, label, grade.quality == choices.auto)
