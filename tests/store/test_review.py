"""The daily review: order, limits, siblings, step 7, undo, leeches, suspend, bury, rollover."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from quiz.config import DeckLimits, Settings
from quiz.domain.sm2 import LeechPolicy
from quiz.services import Quiz
from quiz.services.decks import import_files
from quiz.services.overview import deck_overview, streaks, today_progress
from quiz.services.review import ReviewSession, suspended_cards, unsuspend
from quiz.store.tables import card_states, review_log
from tests.conftest import TINY, FakeClock


def many_notes(tmp_path: Path, n: int) -> Path:
    lines = ["deck: {id: big, title: Big}", "notes:"]
    lines += [f"  - {{id: n{i:03d}, type: basic, front: 'Q{i}', back: 'A{i}'}}" for i in range(n)]
    path = tmp_path / "big.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def logs(quiz: Quiz) -> list[tuple[int, int, bool]]:
    with quiz.store.read() as conn:
        rows = conn.execute(
            select(review_log.c.card_id, review_log.c.quality, review_log.c.scheduled).order_by(
                review_log.c.id
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def state(quiz: Quiz, card_id: int) -> object:
    with quiz.store.read() as conn:
        return conn.execute(select(card_states).where(card_states.c.card_id == card_id)).first()


def test_new_cards_in_deck_order_one_card_per_note_per_day(quiz: Quiz) -> None:
    import_files(quiz, [TINY])
    session = ReviewSession.start(quiz)
    refs = []
    while (card := session.current()) is not None:
        refs.append(card.info.ref)
        session.answer(5)
    # water:1 and sodium:2 are siblings of cards studied today: buried until another day
    assert refs == ["tiny:capital:0", "tiny:water:0", "tiny:sodium:1", "tiny:vignette:0"]


def test_siblings_come_the_next_day(quiz: Quiz, clock: FakeClock) -> None:
    import_files(quiz, [TINY])
    session = ReviewSession.start(quiz)
    while session.current() is not None:
        session.answer(5)
    clock.advance(days=1)
    session = ReviewSession.start(quiz)
    refs = []
    while (card := session.current()) is not None:
        refs.append(card.info.ref)
        session.answer(5)
    # the four cards learned yesterday are due (interval 1): reviews come first, then new siblings
    # wait, since their notes were studied today
    assert refs == ["tiny:capital:0", "tiny:water:0", "tiny:sodium:1", "tiny:vignette:0"]
    clock.advance(days=1)
    session = ReviewSession.start(quiz)
    assert [session.current().info.ref] == ["tiny:water:1"]  # type: ignore[union-attr]


def test_daily_new_limit_and_review_limit(
    make_quiz: object, tmp_path: Path, clock: FakeClock
) -> None:
    settings = Settings(limits=DeckLimits(new_per_day=5, reviews_per_day=3))
    quiz: Quiz = make_quiz(settings=settings)  # type: ignore[operator]
    import_files(quiz, [many_notes(tmp_path, 12)])
    session = ReviewSession.start(quiz)
    assert session.total == 5
    session.answer(5)
    session.answer(5)
    # a restarted session the same day only offers what is left of the limit
    assert ReviewSession.start(quiz).total == 3
    assert deck_overview(quiz)[0].new == 3
    for _ in range(3):
        ReviewSession.start(quiz).answer(5)
    assert ReviewSession.start(quiz).total == 0
    clock.advance(days=1)
    session = ReviewSession.start(quiz)
    assert session.total == 3 + 5  # 3 of the 5 due reviews, then 5 new
    overview = deck_overview(quiz)[0]
    assert (overview.due, overview.new) == (3, 5)


def test_per_deck_limits_override_the_default(make_quiz: object, tmp_path: Path) -> None:
    settings = Settings(decks={"big": DeckLimits(new_per_day=2)})
    quiz: Quiz = make_quiz(settings=settings)  # type: ignore[operator]
    import_files(quiz, [many_notes(tmp_path, 10), TINY])
    totals = {d.key: d.new for d in deck_overview(quiz)}
    assert totals == {"big": 2, "tiny": 4}  # siblings wait: 4 of the 6 cards today


def test_most_overdue_reviews_come_first(quiz: Quiz, tmp_path: Path, clock: FakeClock) -> None:
    import_files(quiz, [many_notes(tmp_path, 3)])
    session = ReviewSession.start(quiz)
    session.answer(5)  # n000 -> due tomorrow (interval 1)
    session.answer(5)  # n001 -> tomorrow
    clock.advance(days=1)
    session = ReviewSession.start(quiz)
    session.answer(5)  # n000 -> 6 days
    assert session.current().info.note_key == "n001"  # type: ignore[union-attr]
    session.answer(5)  # n001 -> 6 days
    session.answer(5)  # n002 new -> tomorrow
    clock.advance(days=10)
    session = ReviewSession.start(quiz)
    # n002 has been due for 9 days, the others for 4
    assert [session.current().info.note_key] == ["n002"]  # type: ignore[union-attr]


def test_step_7_redrill_until_four_or_more_without_rescheduling(quiz: Quiz) -> None:
    import_files(quiz, [TINY])
    session = ReviewSession.start(quiz)
    first = session.current()
    assert first is not None
    session.answer(1)  # Again on capital
    while session.remaining:
        session.answer(5)
    assert session.to_redrill == 1
    again = session.current()
    assert again is not None and again.card_id == first.card_id and again.repeat
    before = state(quiz, first.card_id)
    session.answer(3)  # still below 4: comes back again
    assert session.to_redrill == 1
    session.answer(4)
    assert session.current() is None
    after = state(quiz, first.card_id)
    assert (after.ef, after.interval, after.due) == (before.ef, before.interval, before.due)  # type: ignore[attr-defined]
    assert after.redrill is False  # type: ignore[attr-defined]
    log = [row for row in logs(quiz) if row[0] == first.card_id]
    assert log == [(first.card_id, 1, True), (first.card_id, 3, False), (first.card_id, 4, False)]


def test_redrill_survives_a_restart_the_same_day(quiz: Quiz, make_quiz: object) -> None:
    import_files(quiz, [TINY])
    session = ReviewSession.start(quiz)
    card_id = session.current().card_id  # type: ignore[union-attr]
    session.answer(2)
    restarted = ReviewSession.start(make_quiz())  # type: ignore[operator]
    assert list(restarted.redrill) == [card_id]


def test_undo_restores_state_exactly_and_removes_the_log_entry(quiz: Quiz) -> None:
    import_files(quiz, [TINY])
    session = ReviewSession.start(quiz)
    card = session.current()
    assert card is not None
    session.answer(5)
    second = session.current()
    assert second is not None
    before = state(quiz, second.card_id)
    session.answer(1)
    assert session.to_redrill == 1
    undone = session.undo()
    assert undone is not None and undone.card_id == second.card_id
    assert state(quiz, second.card_id) == before
    assert [r[0] for r in logs(quiz)] == [card.card_id]
    assert session.to_redrill == 0
    assert session.current().card_id == second.card_id  # type: ignore[union-attr]
    # undo of a first-ever answer leaves the card new again
    session.undo()
    assert state(quiz, card.card_id) is None
    assert session.undo() is None


def test_undo_refuses_when_another_session_answered_since(quiz: Quiz, make_quiz: object) -> None:
    import_files(quiz, [TINY])
    mine = ReviewSession.start(quiz)
    mine.answer(5)
    other = ReviewSession.start(make_quiz())  # type: ignore[operator]
    other.answer(5)
    assert mine.undo() is None
    assert len(logs(quiz)) == 2


def test_leech_is_suspended_after_threshold_lapses(
    make_quiz: object, tmp_path: Path, clock: FakeClock
) -> None:
    quiz: Quiz = make_quiz(settings=Settings(leech=LeechPolicy(tag_at=3, suspend_at=3)))  # type: ignore[operator]
    import_files(quiz, [many_notes(tmp_path, 1)])
    ReviewSession.start(quiz).answer(5)
    for _ in range(3):
        clock.advance(days=1)
        session = ReviewSession.start(quiz)
        session.answer(1)
        while session.current() is not None:  # re-drill to 4 so the day is done
            session.answer(4)
    [leech] = suspended_cards(quiz)
    assert leech.leech and leech.ref == "big:n000:0"
    clock.advance(days=1)
    assert ReviewSession.start(quiz).total == 0
    assert unsuspend(quiz, [leech.card_id]) == 1
    assert ReviewSession.start(quiz).total == 1


def test_suspend_and_bury(quiz: Quiz, clock: FakeClock) -> None:
    import_files(quiz, [TINY])
    session = ReviewSession.start(quiz)
    suspended = session.suspend()
    buried = session.bury()
    assert session.total == 4 and session.remaining == 2
    restarted = ReviewSession.start(quiz)
    assert suspended not in restarted.queue and buried not in restarted.queue
    clock.advance(days=1)
    tomorrow = ReviewSession.start(quiz)
    assert buried in tomorrow.queue and suspended not in tomorrow.queue


def test_flag_toggles(quiz: Quiz) -> None:
    import_files(quiz, [TINY])
    session = ReviewSession.start(quiz)
    assert session.toggle_flag("ambiguous") is True
    assert session.current().flagged  # type: ignore[union-attr]
    assert session.toggle_flag() is False


def test_day_rolls_over_at_four_not_midnight(quiz: Quiz, clock: FakeClock) -> None:
    import_files(quiz, [TINY])
    clock.now = clock.now.replace(hour=23)
    session = ReviewSession.start(quiz)
    session.answer(5)
    clock.advance(hours=4)  # 03:00 next calendar day: still the same study day
    assert quiz.today() == date(2026, 11, 22)
    assert ReviewSession.start(quiz).total == 3
    clock.advance(hours=1)  # 04:00: a new study day; yesterday's card is due
    assert quiz.today() == date(2026, 11, 23)
    assert "tiny:capital:0" in [c.ref for c in _infos(ReviewSession.start(quiz))]


def _infos(session: ReviewSession) -> list[object]:
    out = []
    while (card := session.current()) is not None:
        out.append(card.info)
        session.answer(5)
    return out


def test_previews_show_each_grades_interval(quiz: Quiz, clock: FakeClock) -> None:
    import_files(quiz, [TINY])
    session = ReviewSession.start(quiz)
    session.answer(5)
    clock.advance(days=1)
    session = ReviewSession.start(quiz)
    card = session.current()
    assert card is not None
    session.answer(5)
    clock.advance(days=6)
    session = ReviewSession.start(quiz)
    card = session.current()
    assert card is not None
    labels = [label for _, label in session.previews(card)]
    # reps 2 -> third pass: ceil(6 * 2.7) = 17 for Easy/Good/Hard alike, Again resets to 1
    assert labels == ["1d +today", "17d +today", "17d", "17d"]


def test_summary_and_streaks(quiz: Quiz, clock: FakeClock) -> None:
    import_files(quiz, [TINY])
    session = ReviewSession.start(quiz)
    session.answer(1, duration_ms=4000)
    session.answer(5, duration_ms=2000)
    while session.current() is not None:
        session.answer(4, duration_ms=1000)
    summary = session.summary()
    assert summary.cards == 4 and summary.answers == 5
    assert summary.accuracy == 0.75
    assert [m.note_key for m in summary.missed] == ["capital"]
    assert summary.seconds == 9.0
    assert summary.due_tomorrow == 4
    assert today_progress(quiz).streak == 1


def test_streaks_count_consecutive_days() -> None:
    d = date(2026, 11, 22)
    days = [
        d,
        d - timedelta(1),
        d - timedelta(2),
        d - timedelta(5),
        d - timedelta(6),
        d - timedelta(7),
        d - timedelta(8),
    ]
    assert streaks(days, d) == (3, 4)
    assert streaks(days[1:], d) == (2, 4)  # not yet studied today: streak still alive
    assert streaks(days[3:], d) == (0, 4)
    assert streaks([], d) == (0, 0)


def test_learners_do_not_see_each_others_progress(quiz: Quiz, make_quiz: object) -> None:
    import_files(quiz, [TINY])
    session = ReviewSession.start(quiz)
    while session.current() is not None:
        session.answer(5)
    bob: Quiz = make_quiz("bob")  # type: ignore[operator]
    assert ReviewSession.start(bob).total == 4
    assert today_progress(bob).answers == 0
