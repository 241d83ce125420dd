"""A whole review driven by keys, checked on the screen and in the database."""

from __future__ import annotations

from datetime import date

import pytest

from quiz.config import Settings
from quiz.domain.grading import AGAIN_QUALITY, GOOD_QUALITY, GradeScale
from quiz.services.context import Quiz
from quiz.services.review import ReviewSession
from quiz.tui import QuizApp, make_app
from quiz.tui.screens.flag import ClearFlagScreen, FlagReasonScreen
from quiz.tui.screens.home import HomeScreen
from quiz.tui.screens.review import ReviewScreen
from quiz.tui.screens.summary import SummaryScreen
from tests.tui.conftest import (
    ORDER,
    FakeMonotonic,
    MakeQuiz,
    all_refs,
    log,
    only,
    press,
    screen_text,
    settle,
    state,
    suspend,
)

TOMORROW = date(2026, 11, 23)


def review(app: QuizApp) -> ReviewScreen:
    screen = app.screen
    assert isinstance(screen, ReviewScreen), screen
    return screen


def current(app: QuizApp) -> str:
    card = review(app).card
    assert card is not None
    return card.info.ref


async def test_grading_commits_each_answer_before_the_next_card(
    app: QuizApp, tiny: Quiz, monotonic: FakeMonotonic
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        await press(pilot, "enter")
        assert current(app) == ORDER[0]
        assert "Capital of France?" in screen_text(app)
        assert "Paris" not in screen_text(app)

        monotonic.advance(4.25)
        await press(pilot, "space")
        assert "Paris" in screen_text(app)
        assert "1d +today" in screen_text(app)  # the interval Again would give, by its key
        monotonic.advance(1.5)
        await press(pilot, "3")

        assert log(tiny) == [(ORDER[0], 4, True, 5750)]
        row = state(tiny, ORDER[0])
        assert (row.interval, row.repetitions, row.due) == (1, 1, TOMORROW)
        assert current(app) == ORDER[1]
        assert review(app).phase == "front"
        assert "1/4" in screen_text(app)


async def test_grade_keys_do_nothing_until_the_answer_is_shown(app: QuizApp, tiny: Quiz) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "enter", "3", "4", "1")
        assert log(tiny) == []
        assert current(app) == ORDER[0]


async def test_undo_restores_the_card_and_removes_the_answer(app: QuizApp, tiny: Quiz) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "enter", "space", "4")
        assert state(tiny, ORDER[0]).due == date(2026, 11, 23)
        await press(pilot, "u")
        assert log(tiny) == []
        row = state(tiny, ORDER[0])
        assert row is None or (row.repetitions, row.due, row.last_review) == (0, None, None)
        assert current(app) == ORDER[0]
        assert review(app).phase == "front"
        assert "Undid the last answer" in screen_text(app)
        await press(pilot, "u")  # nothing left to undo: no harm done
        assert current(app) == ORDER[0]
        assert "Nothing to undo" in screen_text(app)


async def test_suspend_bury_and_flag(app: QuizApp, tiny: Quiz) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "enter", "s")
        assert state(tiny, ORDER[0]).suspended is True
        assert current(app) == ORDER[1]
        assert "Suspended tiny:capital:0" in screen_text(app)

        await press(pilot, "b")
        assert state(tiny, ORDER[1]).buried_until == TOMORROW
        assert current(app) == ORDER[2]
        assert "Buried tiny:water:0 until tomorrow" in screen_text(app)

        await press(pilot, "space", "f")
        assert isinstance(app.screen, FlagReasonScreen)
        await press(pilot, "escape")  # no reason: flagged all the same
        assert state(tiny, ORDER[2]).flagged_at is not None
        assert state(tiny, ORDER[2]).flag_note is None
        assert "flagged" in screen_text(app)
        assert review(app).phase == "back"  # flagging keeps the card where it was
        await press(pilot, "f")
        assert isinstance(app.screen, ClearFlagScreen)
        await press(pilot, "n")  # keep it
        assert state(tiny, ORDER[2]).flagged_at is not None
        await press(pilot, "f", "y")
        assert state(tiny, ORDER[2]).flagged_at is None
        assert "flagged" not in screen_text(app)
        assert log(tiny) == []


async def test_a_flag_carries_the_reason_typed_and_clearing_shows_it(
    app: QuizApp, tiny: Quiz
) -> None:
    reason = "Two options look right"
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "enter", "f")
        assert isinstance(app.screen, FlagReasonScreen)
        assert "Why? (optional)" in screen_text(app)
        await press(pilot, *["space" if c == " " else c for c in reason], "enter")
        assert isinstance(app.screen, ReviewScreen)
        row = state(tiny, ORDER[0])
        assert (row.flag_note, row.flagged_at is not None) == (reason, True)
        assert "flagged" in screen_text(app)
        assert review(app).phase == "front"  # still unanswered: letters were the reason's
        assert log(tiny) == []
        await press(pilot, "f")
        assert f"You flagged this card: {reason}" in screen_text(app)
        await press(pilot, "escape")
        assert state(tiny, ORDER[0]).flag_note == reason


async def test_a_card_graded_below_good_comes_back_the_same_day(app: QuizApp, tiny: Quiz) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "enter", "space", "1")
        assert "1 to re-drill" in screen_text(app)
        await press(pilot, "space", "3", "space", "2")  # Hard (q=3) comes back too
        assert "2 to re-drill" in screen_text(app)
        await press(pilot, "space", "3")
        assert current(app) == ORDER[0]
        assert "basic · re-drill" in screen_text(app)
        await press(pilot, "space")
        assert "again today" in screen_text(app)  # a repeat only decides whether it comes back
        await press(pilot, "3")
        assert current(app) == ORDER[2]
        await press(pilot, "space", "3")
        assert isinstance(app.screen, SummaryScreen)
        assert [(ref, q, scheduled) for ref, q, scheduled, _ in log(tiny)] == [
            (ORDER[0], 1, True),
            (ORDER[1], 4, True),
            (ORDER[2], 3, True),
            (ORDER[3], 4, True),
            (ORDER[0], 4, False),
            (ORDER[2], 4, False),
        ]
        assert state(tiny, ORDER[0]).redrill is False


@pytest.mark.parametrize(
    ("keys", "quality", "verdict"),
    [
        (("a", "enter"), GOOD_QUALITY, "Correct: graded Good"),
        (("b", "space"), AGAIN_QUALITY, "b is wrong: graded Again"),
        (("c", "3"), 4, "c is wrong: graded Again"),  # the learner overrides the auto-grade
        (("a", "1"), 1, "Correct: graded Good"),
    ],
)
async def test_multiple_choice_takes_a_letter_and_grades_itself(
    tiny: Quiz,
    monotonic: FakeMonotonic,
    keys: tuple[str, str],
    quality: int,
    verdict: str,
) -> None:
    only(tiny, ORDER[3])
    app = make_app(tiny, monotonic=monotonic, start_review=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert current(app) == ORDER[3]
        assert "a–c  Pick an answer" in screen_text(app)
        await press(pilot, keys[0])
        text = screen_text(app)
        assert verdict in text
        assert "✓ a  Calciphylaxis" in text
        for explanation in ("Classic in ESRD.", "Not necrotic.", "Biopsy would show"):
            assert explanation in text
        await press(pilot, keys[1])
        assert [q for _, q, _, _ in log(tiny)] == [quality]
        # "b" picked an option: it did not bury the card
        assert state(tiny, ORDER[3]).buried_until is None


async def test_multiple_choice_revealed_without_a_letter_is_graded_by_hand(
    tiny: Quiz, monotonic: FakeMonotonic
) -> None:
    only(tiny, ORDER[3])
    app = make_app(tiny, monotonic=monotonic, start_review=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "space")
        assert "graded" not in screen_text(app)
        await press(pilot, "enter")  # no auto-grade to accept
        assert log(tiny) == []
        await press(pilot, "2")
        assert [q for _, q, _, _ in log(tiny)] == [3]


async def test_letters_act_normally_when_they_are_not_options(app: QuizApp, tiny: Quiz) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "enter", "a", "c")  # no options on a basic card
        assert current(app) == ORDER[0]
        assert review(app).phase == "front"
        await press(pilot, "i")
        assert "tiny:capital:0" in screen_text(app)
        assert "geo::europe" in screen_text(app)
        await press(pilot, "i")
        assert "geo::europe" not in screen_text(app)


async def test_details_before_the_answer_never_show_the_extra(app: QuizApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "enter", "i")
        assert review(app).phase == "front"
        assert "tiny:capital:0" in screen_text(app)  # card id, tags and source: safe
        assert "Ch. 1" in screen_text(app)
        assert "It has been the capital" not in screen_text(app)  # explains the answer
        await press(pilot, "space")
        assert "It has been the capital" in screen_text(app)


async def test_summary_after_the_last_card(
    app: QuizApp, tiny: Quiz, monotonic: FakeMonotonic
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "enter")
        for grade in ("3", "1", "3", "3", "3"):
            monotonic.advance(12)
            await press(pilot, "space", grade)
        assert isinstance(app.screen, SummaryScreen)
        text = screen_text(app)
        assert "Session complete" in text
        assert "Cards reviewed  4  (5 answers)" in text
        assert "75%  (3 of 4 right the first time)" in text
        assert "Time spent      1 min" in text
        assert "Due tomorrow    4" in text
        assert "Missed (1)" in text
        assert "H2O" in text
        assert "→ Water" in text
        assert sum(ms for *_, ms in log(tiny)) == 60_000

        await press(pilot, "enter")
        assert isinstance(app.screen, HomeScreen)
        assert "4 cards · 5 answers · 1 min" in screen_text(app)
        assert "Streak  1 day" in screen_text(app)


async def test_undo_from_the_summary_goes_back_to_the_last_card(app: QuizApp, tiny: Quiz) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "enter")
        for _ in ORDER:
            await press(pilot, "space", "4")
        assert isinstance(app.screen, SummaryScreen)
        await press(pilot, "u")
        assert current(app) == ORDER[3]
        assert len(log(tiny)) == 3
        await press(pilot, "space", "3")
        assert isinstance(app.screen, SummaryScreen)
        assert log(tiny)[-1][:2] == (ORDER[3], 4)


async def test_quit_keeps_every_answer(app: QuizApp, tiny: Quiz) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "enter", "space", "3", "q")
        assert isinstance(app.screen, SummaryScreen)
        assert "Session ended. Every answer is saved." in screen_text(app)
        assert log(tiny)[0][:2] == (ORDER[0], 4)
        await press(pilot, "q")
        assert isinstance(app.screen, HomeScreen)
        await press(pilot, "enter", "escape")  # nothing answered: straight back home
        assert isinstance(app.screen, HomeScreen)
        assert len(log(tiny)) == 1


async def test_six_grade_scale(make_tiny: MakeQuiz, monotonic: FakeMonotonic) -> None:
    quiz = make_tiny(settings=Settings(grade_scale=GradeScale.SIX))
    app = make_app(quiz, monotonic=monotonic, start_review=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "space")
        text = screen_text(app)
        for label in ("0  Blackout", "1  Wrong", "2  Almost", "3  Hard", "4  Good", "5  Perfect"):
            assert label in text
        await press(pilot, "0", "space", "5")
        assert [q for _, q, _, _ in log(quiz)] == [0, 5]


async def test_a_database_error_is_shown_and_the_card_can_be_answered_again(
    app: QuizApp, tiny: Quiz, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = ReviewSession.answer
    calls: list[int] = []

    def flaky(
        self: ReviewSession, quality: int, duration_ms: int = 0, chosen: str | None = None
    ) -> object:
        calls.append(quality)
        if len(calls) == 1:
            raise RuntimeError("database is locked")
        return real(self, quality, duration_ms, chosen)

    monkeypatch.setattr(ReviewSession, "answer", flaky)
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "enter", "space", "3")
        assert app.is_running
        assert log(tiny) == []
        assert current(app) == ORDER[0]
        assert any("database is locked" in str(n.message) for n in app._notifications)
        await press(pilot, "3")
        assert log(tiny)[0][:2] == (ORDER[0], 4)


async def test_a_session_that_cannot_start_says_why_and_q_goes_home(
    app: QuizApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(quiz: Quiz, deck_keys: list[str] | None = None) -> ReviewSession:
        raise RuntimeError("disk I/O error [bold]")

    monkeypatch.setattr(ReviewSession, "start", broken)
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "enter")
        assert "Could not open the review session: disk I/O error [bold]" in screen_text(app)
        await press(pilot, "q")
        assert isinstance(app.screen, HomeScreen)


async def test_start_review_opens_the_review_at_once_and_nothing_due_says_so(
    make_tiny: MakeQuiz, monotonic: FakeMonotonic
) -> None:
    quiz = make_tiny()
    suspend(quiz, all_refs(quiz))
    app = make_app(quiz, monotonic=monotonic, start_review=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SummaryScreen)
        assert "Nothing to study right now." in screen_text(app)
        await press(pilot, "enter")
        assert isinstance(app.screen, HomeScreen)


async def test_starting_in_a_review_shows_the_card_read_before_the_app_started(
    tiny: Quiz, monotonic: FakeMonotonic
) -> None:
    # Start-up: the session and its first card are read before Textual starts, so the
    # first frame shows the card; answering it goes on in the screen's worker as usual.
    app = make_app(tiny, monotonic=monotonic, start_review=True)
    first = app.first_step
    assert first is not None and first.step.card is not None
    async with app.run_test(size=(80, 24)) as pilot:
        screen = review(app)
        assert screen.session is first.session and screen.card == first.step.card
        assert screen.phase == "front" and not screen.busy and not app.workers
        await press(pilot, "space", "3")
        assert log(tiny)[0][:2] == (ORDER[0], 4)
        assert current(app) == ORDER[1]


async def test_starting_in_a_review_that_cannot_start_says_why(
    tiny: Quiz, monotonic: FakeMonotonic, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(quiz: Quiz, deck_keys: list[str] | None = None) -> ReviewSession:
        raise RuntimeError("disk I/O error")

    monkeypatch.setattr(ReviewSession, "start", broken)
    app = make_app(tiny, monotonic=monotonic, start_review=True)
    assert app.first_step is None
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "Could not open the review session: disk I/O error" in screen_text(app)
        await press(pilot, "q")
        assert isinstance(app.screen, HomeScreen)


async def test_a_database_that_became_read_only_gets_a_sentence_not_sql(
    app: QuizApp, tiny: Quiz
) -> None:
    from sqlalchemy import event

    def read_only(dbapi_conn: object, _record: object) -> None:
        dbapi_conn.execute("PRAGMA query_only=ON")  # type: ignore[attr-defined]

    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "enter", "space")
        tiny.store.engine.dispose()  # every new connection is now a read-only one
        event.listen(tiny.store.engine, "connect", read_only)
        await press(pilot, "3")
        messages = [str(n.message) for n in app._notifications]
        assert any(tiny.store.url.split("///")[1] in m for m in messages), messages
        assert any("Not saved" in m and "writable" in m for m in messages), messages
        for m in messages:
            assert "UPDATE" not in m and "INSERT" not in m and "[SQL" not in m
        assert current(app) == ORDER[0]  # the card stays, to be answered again


async def test_u_brings_back_a_suspended_or_buried_card(app: QuizApp, tiny: Quiz) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "enter", "space", "3")  # answer the first card
        await press(pilot, "s")
        assert current(app) == ORDER[2]
        assert "(u undoes)" in screen_text(app)
        await press(pilot, "u")
        assert current(app) == ORDER[1]  # the suspended card is back, not the answer undone
        assert state(tiny, ORDER[1]) is None  # exactly as before: no state row
        assert "Undid the suspend" in screen_text(app)
        assert len(log(tiny)) == 1
        await press(pilot, "b", "u")
        assert current(app) == ORDER[1]
        assert "Undid the bury" in screen_text(app)
        await press(pilot, "u")  # and then the answer before them
        assert current(app) == ORDER[0]
        assert log(tiny) == []


async def test_a_session_that_freed_cards_does_not_call_itself_complete(
    app: QuizApp, tiny: Quiz
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "enter", "space", "3")  # capital
        await press(pilot, "s")  # water's forward card: its reverse may come today instead
        assert current(app) == ORDER[2]
        await press(pilot, "space", "3")  # the cloze
        assert current(app) == ORDER[3]
        await press(pilot, "a", "enter")  # the vignette: pick, accept
        text = screen_text(app)
        assert "Session complete" not in text
        assert "Not done yet: 1 card left to study today." in text
