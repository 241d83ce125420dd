"""The review screen: one card at a time, front then back, graded from the keyboard.

Every call into the session runs in one exclusive worker thread and posts a
``Stepped`` message back; while it runs, keys are ignored, so an answer is
committed before the next card appears and a double-pressed key cannot grade
two cards.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import ClassVar, Literal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from quiz.domain.grading import AGAIN_QUALITY, GOOD_QUALITY, Grade, grades, quality_for_key
from quiz.domain.notes import LETTERS, NoteType
from quiz.services.context import Quiz
from quiz.services.review import Marked, ReviewSession, StudyCard, Summary
from quiz.tui.text import clean, plain
from quiz.tui.widgets.card_view import CardDisplay, CardView, kind_label
from quiz.tui.widgets.grade_bar import GradeBar, GradeChoices
from quiz.tui.widgets.session_bar import Progress, SessionBar

Monotonic = Callable[[], float]
SessionAction = Callable[[ReviewSession], str | None]
"""Work on the session in the worker thread; returns a notice for the learner, if any."""

Phase = Literal["loading", "front", "back"]

CARD_ACTION_KEYS = {"undo": "u", "suspend": "s", "bury": "b", "flag": "f", "info": "i"}
"""Actions on the card on screen, by key (a key that picks an option wins)."""


@dataclass(frozen=True, slots=True)
class Step:
    """What the worker found after acting: the next card, or the session's end."""

    card: StudyCard | None
    previews: tuple[tuple[Grade, str], ...]
    progress: Progress
    notice: str | None = None
    keep_side: bool = False
    """The same card stays on the side it was on (after flagging it)."""

    summary: Summary | None = None
    """Set when the session is over or the learner ended it."""

    ended_early: bool = False


def next_step(
    session: ReviewSession,
    notice: str | None = None,
    *,
    finish: bool = False,
    keep_side: bool = False,
) -> Step:
    """What to show after acting on the session (blocking: reads the next card)."""
    card = None if finish else session.current()
    return Step(
        card=card,
        previews=tuple(session.previews(card)) if card is not None else (),
        progress=Progress(len(session.history), session.remaining, session.to_redrill),
        notice=notice,
        keep_side=keep_side,
        summary=session.summary() if card is None else None,
        ended_early=finish and session.current_id() is not None,
    )


@dataclass(frozen=True, slots=True)
class FirstStep:
    """A session started, and its first card read, before the app started."""

    session: ReviewSession
    step: Step


def first_step(quiz: Quiz, deck_keys: list[str] | None) -> FirstStep | None:
    """Start today's session for a start straight into a review, before Textual starts.

    In the screen's worker, the session's queries would race Textual's own set-up for the
    interpreter, slowing both. None if the session cannot be started: the screen's worker
    then tries again and reports why.
    """
    try:
        session = ReviewSession.start(quiz, deck_keys)
        return FirstStep(session, next_step(session))
    except Exception:  # reported by the screen's worker, which tries again
        return None


class ReviewScreen(Screen[None]):
    """Studies today's cards of some decks (all when deck_keys is None)."""

    # A multiple-choice question may letter its options up to j, so b, f and i pick
    # an option while such a question is on screen (check_action turns the actions off).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space,enter", "flip", "Show"),
        Binding("space,enter", "accept", "Accept"),
        *(Binding(key, action, action.title()) for action, key in CARD_ACTION_KEYS.items()),
        Binding("q,escape", "end", "Quit"),
        *(Binding(letter, f"choose('{letter}')", show=False) for letter in LETTERS),
        *(Binding(key, f"grade('{key}')", show=False) for key in "012345"),
    ]

    @dataclass
    class Stepped(Message):
        """The worker has acted on the session; here is what to show next."""

        step: Step

    def __init__(
        self,
        quiz: Quiz,
        deck_keys: list[str] | None = None,
        *,
        monotonic: Monotonic = time.monotonic,
        first: FirstStep | None = None,
    ) -> None:
        """
        Args:
            first: The session and its first card, read before the app started.
        """
        super().__init__()
        self.quiz = quiz
        self.deck_keys = deck_keys
        self.monotonic = monotonic
        self.first = first
        self.session: ReviewSession | None = first.session if first is not None else None
        """Only touched in the worker thread (once the screen is up)."""

        self.card: StudyCard | None = None
        self.previews: tuple[tuple[Grade, str], ...] = ()
        self.phase: Phase = "loading"
        self.chosen: str | None = None
        self.auto: int | None = None
        self.details = False
        self.busy = False
        self.shown_at = 0.0

    def compose(self) -> ComposeResult:
        yield SessionBar(id="session")
        with Horizontal(id="metabar"):
            yield Static("Loading today's cards…", id="meta", markup=False)
            yield Static("", id="notice", markup=False)
        yield CardView(id="card")
        yield GradeBar(id="grades")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        first, self.first = self.first, None
        if first is not None:
            self.show_step(self.Stepped(first.step))
            return
        self.busy = True
        self.run_session(None)

    # --- the worker -----------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="review")
    def run_session(
        self, action: SessionAction | None, *, finish: bool = False, keep_side: bool = False
    ) -> None:
        """Act on the session, then post the next step (blocking; runs in a thread)."""
        if self.session is None:
            self.session = ReviewSession.start(self.quiz, self.deck_keys)
        session = self.session
        notice = action(session) if action is not None else None
        step = next_step(session, notice, finish=finish, keep_side=keep_side)
        self.post_message(self.Stepped(step))

    def act(self, action: SessionAction | None, *, keep_side: bool = False) -> None:
        if self.busy or self.card is None:
            return
        self.busy = True
        self.run_session(action, keep_side=keep_side)

    @on(Stepped)
    def show_step(self, message: Stepped) -> None:
        step = message.step
        self.busy = False
        self.query_one("#notice", Static).update(plain(step.notice))
        if step.summary is not None:
            self.card = None
            self.phase = "loading"
            if step.ended_early and step.summary.answers == 0:
                self.dismiss()
                return
            from quiz.tui.screens.summary import SummaryScreen  # needed once, at the end

            summary = SummaryScreen(step.summary, ended_early=step.ended_early)
            self.app.push_screen(summary, self.after_summary)
            return
        assert step.card is not None
        same = self.card is not None and self.card.card_id == step.card.card_id
        self.card = step.card
        self.previews = step.previews
        if not (same and step.keep_side):
            self.phase, self.chosen, self.auto, self.details = "front", None, None, False
            self.shown_at = self.monotonic()
        self.render_card(step.progress)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.busy = False
            error = clean(self.quiz.explain(event.worker.error or Exception()))
            lead = "Could not open the review session" if self.card is None else "Not saved"
            self.notify(f"{lead}: {error}", severity="error", timeout=10, markup=False)
            if self.card is None:
                self.query_one("#meta", Static).update(
                    plain(f"Could not open the review session: {error}")
                )

    def after_summary(self, result: str | None) -> None:
        if result == "undo":
            self.busy = True
            self.run_session(undo)
        else:
            self.dismiss()

    # --- drawing --------------------------------------------------------------------------

    def render_card(self, progress: Progress | None = None) -> None:
        card = self.card
        if card is None:
            return
        if progress is not None:
            self.query_one(SessionBar).show(progress)
        self.query_one("#meta", Static).update(meta_line(card))
        self.query_one(CardView).shown = CardDisplay(
            card.info, self.phase == "back", self.chosen, self.details
        )
        self.query_one(GradeBar).choices = self.choices()
        self.refresh_bindings()

    def choices(self) -> GradeChoices:
        assert self.card is not None
        face = self.card.info.face
        scale = grades(self.quiz.settings.grade_scale)
        if self.phase == "front":
            hint = "space  Show answer"
            if face.options:
                last = LETTERS[len(face.options) - 1]
                hint = f"a–{last}  Pick an answer     {hint}"
            return GradeChoices(hint=hint)
        verdict = ""
        if self.auto is not None:
            name = next((g.label for g in scale if g.quality == self.auto), str(self.auto))
            right = "Correct" if self.auto == GOOD_QUALITY else f"{self.chosen} is wrong"
            verdict = (
                f"{right}: graded {name}.  enter accepts · "
                f"{scale[0].key}–{scale[-1].key} changes the grade"
            )
        return GradeChoices(previews=self.previews, auto=self.auto, verdict=verdict)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "flip":
            return self.phase == "front"
        if action == "accept":
            return self.phase == "back" and self.auto is not None
        if action == "grade":
            return self.phase == "back"
        if action == "choose":
            return self.picks(str(parameters[0]))
        if action in CARD_ACTION_KEYS:
            return self.phase != "loading" and not self.picks(CARD_ACTION_KEYS[action])
        return True

    def picks(self, letter: str) -> bool:
        """True when the letter picks an option of the question on screen."""
        card = self.card
        if card is None or self.phase != "front" or card.info.face.type is not NoteType.MCQ:
            return False
        return letter in LETTERS[: len(card.info.face.options)]

    # --- actions --------------------------------------------------------------------------

    def action_flip(self) -> None:
        if self.busy or self.phase != "front":
            return
        self.phase = "back"
        self.render_card()

    def action_choose(self, letter: str) -> None:
        if self.busy or self.card is None or self.phase != "front":
            return
        correct = self.card.info.face.correct_letter == letter
        self.chosen = letter
        self.auto = GOOD_QUALITY if correct else AGAIN_QUALITY
        self.phase = "back"
        self.render_card()

    @on(CardView.OptionChosen)
    def option_clicked(self, message: CardView.OptionChosen) -> None:
        if self.check_action("choose", (message.letter,)):
            self.action_choose(message.letter)

    def action_accept(self) -> None:
        if self.auto is not None:
            self.answer(self.auto)

    def action_grade(self, key: str) -> None:
        quality = quality_for_key(self.quiz.settings.grade_scale, key)
        if quality is not None and self.phase == "back":
            self.answer(quality)

    @on(GradeBar.Chosen)
    def grade_clicked(self, message: GradeBar.Chosen) -> None:
        self.action_grade(message.key)

    def answer(self, quality: int) -> None:
        if self.busy or self.card is None:
            return
        duration_ms = int(max(0.0, self.monotonic() - self.shown_at) * 1000)
        # The option is logged by its identity: the letter only names this learner's order.
        option = self.card.info.face.option_for(self.chosen) if self.chosen else None
        chosen_option = option.id if option is not None else None

        def grade(session: ReviewSession) -> None:
            session.answer(quality, duration_ms, chosen_option)

        self.act(grade)

    def action_undo(self) -> None:
        self.act(undo)

    def action_suspend(self) -> None:
        self.act(suspend)

    def action_bury(self) -> None:
        self.act(bury)

    def action_flag(self) -> None:
        """Flag with an optional reason; on a flagged card, offer to clear the flag."""
        card = self.card
        if self.busy or card is None:
            return
        from quiz.tui.screens.flag import ClearFlagScreen, FlagReasonScreen

        if card.flagged:
            self.app.push_screen(ClearFlagScreen(card.flag_note), self.clear_flag)
        else:
            self.app.push_screen(FlagReasonScreen(), self.flag_with)

    def flag_with(self, reason: str | None) -> None:
        def flag(session: ReviewSession) -> str | None:
            if not session.flag(reason):
                return None
            return "Flagged for the instructor (u undoes)"

        self.act(flag, keep_side=True)

    def clear_flag(self, clear: bool | None) -> None:
        if not clear:
            return

        def unflag(session: ReviewSession) -> str | None:
            return "Flag cleared (u undoes)" if session.clear_flag() else None

        self.act(unflag, keep_side=True)

    def action_info(self) -> None:
        if self.card is None:
            return
        self.details = not self.details
        self.render_card()

    def action_end(self) -> None:
        if self.busy:
            return
        if self.card is None:  # the session never opened: nothing to sum up
            self.dismiss()
            return
        self.busy = True
        self.run_session(None, finish=True)

    def palette_commands(self) -> Iterable[tuple[str, str, Callable[[], object]]]:
        """Commands for the command palette while this screen is on top."""
        yield "Undo", "Take back the last answer, suspend, bury or flag", self.action_undo
        yield "Suspend card", "Stop showing this card until unsuspended", self.action_suspend
        yield "Bury card", "Hide this card until tomorrow", self.action_bury
        yield "Flag card", "Flag (or unflag) this card for the instructor", self.action_flag
        yield "Card info", "Show the source, extra notes and tags", self.action_info
        yield "End session", "Stop here; every answer is saved", self.action_end


UNDONE = {
    "suspend": "Undid the suspend: the card is back",
    "bury": "Undid the bury: the card is back",
    "flag": "Undid the flag",
    "unflag": "Undid clearing the flag: flagged again",
}


def undo(session: ReviewSession) -> str:
    done = session.undo()
    if done is None:
        return "Nothing to undo"
    return UNDONE[done.action] if isinstance(done, Marked) else "Undid the last answer"


def suspend(session: ReviewSession) -> str | None:
    card = session.current()
    if card is None or session.suspend() is None:
        return None
    return f"Suspended {card.info.ref} (u undoes)"


def bury(session: ReviewSession) -> str | None:
    card = session.current()
    if card is None or session.bury() is None:
        return None
    return f"Buried {card.info.ref} until tomorrow (u undoes)"


def meta_line(card: StudyCard) -> Text:
    """Deck, kind of card and where it is in its schedule, e.g. 'Tiny deck · cloze c1 · new'."""
    state = card.state
    stage = "re-drill" if card.repeat else "new" if state.is_new else "review"
    line = plain(f"{card.info.deck_title} · {kind_label(card.info.face)} · {stage}")
    if state.leech:
        line.append(" · leech", style="bold")
    if card.flagged:
        line.append("  ⚑ flagged", style="bold")
    return line
