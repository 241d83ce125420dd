"""The daily review: order, limits, siblings, step 7, undo, leeches, suspend, bury, rollover."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from quiz.config import DeckLimits, Settings
from quiz.domain.sm2 import CardState, LeechPolicy
from quiz.services import Quiz
from quiz.services.decks import import_files
from quiz.services.overview import deck_overview, deck_sizes, streaks, today_progress
from quiz.services.review import ReviewSession, suspended_cards, unsuspend
from quiz.store import queries
from quiz.store.tables import card_states, cards, decks, notes, review_log
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


def test_an_undone_answers_id_is_never_given_to_another_answer(quiz: Quiz) -> None:
    import_files(quiz, [TINY])
    session = ReviewSession.start(quiz)
    session.answer(5)
    session.answer(5)
    with quiz.store.read() as conn:
        undone_id = max(conn.execute(select(review_log.c.id)).scalars())
    assert session.undo() is not None
    session.answer(5)
    with quiz.store.read() as conn:
        ids = sorted(conn.execute(select(review_log.c.id)).scalars())
    assert undone_id not in ids
    assert ids[-1] > undone_id


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


# --- the day plan and the home screen's counts against a plain reference -----------------


def reversed_deck(tmp_path: Path, key: str, title: str, ids: range) -> Path:
    """A deck of reversed notes (two sibling cards each)."""
    lines = [f"deck: {{id: {key}, title: {title}}}", "notes:"]
    lines += [f"  - {{id: n{i:03d}, type: reversed, front: 'Q{i}', back: 'A{i}'}}" for i in ids]
    path = tmp_path / f"{key}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def scatter_states(quiz: Quiz, seed: int) -> None:
    """Give a random share of the cards a state: due before, on or after today, answered
    today (some to re-drill), suspended, buried."""
    rng = random.Random(seed)
    today = quiz.today()
    with quiz.store.write() as conn:
        card_ids = [r[0] for r in conn.execute(select(cards.c.id).order_by(cards.c.id))]
        for card_id in card_ids:
            if rng.random() < 0.25:
                continue  # new
            last = today - timedelta(days=rng.randint(0, 9))
            state = CardState(
                ef=2500,
                interval=rng.randint(1, 20),
                repetitions=rng.randint(1, 5),
                lapses=0,
                due=today + timedelta(days=rng.randint(-6, 3)),
                last_review=last if rng.random() < 0.9 else None,
                redrill=last == today and rng.random() < 0.5,
            )
            queries.save_state(conn, quiz.learner_id, card_id, state)
            if rng.random() < 0.1:
                queries.set_flags(conn, quiz.learner_id, card_id, suspended=True)
            elif rng.random() < 0.1:
                days = rng.choice([-1, 0, 1])
                queries.set_flags(
                    conn, quiz.learner_id, card_id, buried_until=today + timedelta(days=days)
                )


@dataclass(frozen=True)
class RefCard:
    card_id: int
    note_id: int
    deck_id: int
    position: int
    ord: int
    state: Any


def reference_cards(quiz: Quiz) -> list[RefCard]:
    """Every live card with this learner's state row (or None), read naively."""
    with quiz.store.read() as conn:
        states = {
            r.card_id: r
            for r in conn.execute(
                select(card_states).where(card_states.c.learner_id == quiz.learner_id)
            )
        }
        rows = conn.execute(
            select(cards.c.id, cards.c.note_id, notes.c.deck_id, notes.c.position, cards.c.ord)
            .select_from(cards.join(notes, notes.c.id == cards.c.note_id))
            .where(cards.c.retired_at.is_(None), notes.c.retired_at.is_(None))
        ).all()
    return [RefCard(*r, states.get(r[0])) for r in rows]


def reference_plan(quiz: Quiz, limits: DeckLimits) -> tuple[list[int], dict[str, tuple[int, ...]]]:
    """Today's queue and each deck's (new, due, re-drill, due tomorrow), deck by deck, as
    the specification states them: due reviews most overdue first (then oldest card
    first), then new cards in deck order, one card per note a day, daily limits counting
    today's answers."""
    today, tomorrow = quiz.today(), quiz.tomorrow()
    everything = reference_cards(quiz)
    with quiz.store.read() as conn:
        decks_ = conn.execute(select(decks.c.id, decks.c.key).order_by(decks.c.title)).all()
        done = queries.done_today(conn, quiz.learner_id, today)

    def available(c: RefCard) -> bool:
        s = c.state
        return s is None or (
            not s.suspended and (s.buried_until is None or s.buried_until <= today)
        )

    seen = {c.note_id for c in everything if c.state is not None and c.state.last_review == today}
    reviews: list[RefCard] = []
    fresh: list[RefCard] = []
    redrill: list[RefCard] = []
    for deck_id, _ in decks_:
        mine = sorted(
            (c for c in everything if c.deck_id == deck_id), key=lambda c: (c.position, c.ord)
        )
        day = done.get(deck_id, queries.DayDone())
        due = [
            c
            for c in mine
            if available(c)
            and c.state is not None
            and c.state.due is not None
            and c.state.due <= today
            and c.state.last_review is not None
            and c.state.last_review < today
        ]
        due.sort(key=lambda c: (c.state.due, c.card_id))
        reviews += take(due, limits.reviews_per_day - day.reviews, seen)
    reviews.sort(key=lambda c: c.state.due)
    for deck_id, _ in decks_:
        mine = sorted(
            (c for c in everything if c.deck_id == deck_id), key=lambda c: (c.position, c.ord)
        )
        day = done.get(deck_id, queries.DayDone())
        new = [c for c in mine if available(c) and (c.state is None or c.state.last_review is None)]
        fresh += take(new, limits.new_per_day - day.new, seen)
    for deck_id, _ in decks_:
        mine = sorted(
            (c for c in everything if c.deck_id == deck_id), key=lambda c: (c.position, c.ord)
        )
        redrill += [
            c
            for c in mine
            if available(c)
            and c.state is not None
            and c.state.last_review == today
            and c.state.redrill
        ]
    redrill.sort(key=lambda c: (c.position, c.ord))
    counts = {
        key: (
            sum(1 for c in fresh if c.deck_id == deck_id),
            sum(1 for c in reviews if c.deck_id == deck_id),
            sum(1 for c in redrill if c.deck_id == deck_id),
            sum(
                1
                for c in everything
                if c.deck_id == deck_id
                and c.state is not None
                and not c.state.suspended
                and c.state.due is not None
                and c.state.due <= tomorrow
            ),
        )
        for deck_id, key in decks_
    }
    return [c.card_id for c in reviews + fresh + redrill], counts


def take(items: list[RefCard], limit: int, seen: set[int]) -> list[RefCard]:
    taken: list[RefCard] = []
    for c in items:
        if len(taken) >= limit:
            break
        if c.note_id not in seen:
            seen.add(c.note_id)
            taken.append(c)
    return taken


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_day_plan_and_home_counts_match_the_reference(
    make_quiz: object, tmp_path: Path, clock: FakeClock, seed: int
) -> None:
    limits = DeckLimits(new_per_day=4, reviews_per_day=6)
    quiz: Quiz = make_quiz(settings=Settings(limits=limits))  # type: ignore[operator]
    import_files(quiz, [reversed_deck(tmp_path, "alpha", "Alpha", range(30)), TINY])
    import_files(quiz, [reversed_deck(tmp_path, "beta", "Beta", range(25))])
    # Retire a few notes: their cards must count nowhere.
    import_files(quiz, [reversed_deck(tmp_path, "beta", "Beta", range(3, 25))])
    scatter_states(quiz, seed)
    ReviewSession.start(quiz).answer(2)  # a log entry today: limits count it
    for _ in range(2):
        queue, counts = reference_plan(quiz, limits)
        session = ReviewSession.start(quiz)
        assert [*session.queue, *session.redrill] == queue
        overview = {d.key: (d.new, d.due, d.redrill, d.due_tomorrow) for d in deck_overview(quiz)}
        assert overview == counts
        clock.advance(days=1)


def test_deck_sizes_count_live_cards(quiz: Quiz, tmp_path: Path) -> None:
    import_files(quiz, [reversed_deck(tmp_path, "alpha", "Alpha", range(10)), TINY])
    import_files(quiz, [reversed_deck(tmp_path, "alpha", "Alpha", range(2, 10))])
    expected: dict[str, int] = {}
    with quiz.store.read() as conn:
        keys = dict(conn.execute(select(decks.c.id, decks.c.key)).all())
    for c in reference_cards(quiz):
        expected[keys[c.deck_id]] = expected.get(keys[c.deck_id], 0) + 1
    assert deck_sizes(quiz) == expected == {"alpha": 16, "tiny": 6}


def test_home_counts_read_only_todays_cards_through_indexes(
    quiz: Quiz, tmp_path: Path, clock: FakeClock
) -> None:
    # What keeps the home screen fast on a large collection: no statement walks every
    # card, note or card state of the learner (SQLite's plans; PostgreSQL plans its own).
    if quiz.store.engine.dialect.name != "sqlite":
        pytest.skip("query plans are SQLite's")
    import_files(quiz, [reversed_deck(tmp_path, "alpha", "Alpha", range(30)), TINY])
    scatter_states(quiz, 1)
    statements: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, sql: str, params: Any, _ctx: Any, _many: bool) -> None:
        statements.append((sql, params))

    event.listen(quiz.store.engine, "before_cursor_execute", keep)
    try:
        deck_overview(quiz)
    finally:
        event.remove(quiz.store.engine, "before_cursor_execute", keep)
    walks = []
    with quiz.store.read() as conn:
        for sql, params in statements:
            if not sql.startswith("SELECT"):
                continue
            for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params):
                step = str(row[3])
                if step.startswith("SCAN") and "decks" not in step:
                    walks.append(step)
                if step.startswith("SEARCH card_states") and step.endswith("(learner_id=?)"):
                    walks.append(step)
    assert walks == []


def tables(quiz: Quiz) -> tuple[list[Any], list[Any]]:
    """Every card state and every log row of the collection, to compare exactly."""
    with quiz.store.read() as conn:
        states = conn.execute(
            select(card_states).order_by(card_states.c.learner_id, card_states.c.card_id)
        ).all()
        log_rows = conn.execute(select(review_log).order_by(review_log.c.id)).all()
    return [tuple(r) for r in states], [tuple(r) for r in log_rows]


def test_undo_takes_back_answers_suspends_buries_and_flags_newest_first(quiz: Quiz) -> None:
    """Each undo restores the database and the session exactly as before that action."""
    import_files(quiz, [TINY])
    session = ReviewSession.start(quiz)
    seen: list[tuple[Any, int | None, tuple[int, ...]]] = []

    def before() -> None:
        seen.append((tables(quiz), session.current_id(), tuple(session.queue)))

    before()
    session.answer(4)
    before()
    session.suspend()
    before()
    session.flag("two answers fit")
    before()
    session.clear_flag()
    before()
    session.bury()
    before()
    session.answer(1)
    kinds = []
    while seen:
        done = session.undo()
        assert done is not None
        kinds.append(getattr(done, "action", "answer"))
        db, current, queue = seen.pop()
        assert tables(quiz) == db
        assert session.current_id() == current
        assert tuple(session.queue) == queue
    assert kinds == ["answer", "bury", "unflag", "flag", "suspend", "answer"]
    assert session.undo() is None
    assert tables(quiz) == ([], [])  # nothing of the session is left


def test_the_summary_counts_what_a_suspend_freed_for_today(
    make_quiz: Any, tmp_path: Path
) -> None:
    """A suspend frees a new card's place: the session's end says so instead of 'complete'."""
    quiz: Quiz = make_quiz(settings=Settings(decks={"big": DeckLimits(new_per_day=2)}))
    import_files(quiz, [many_notes(tmp_path, 5)])
    session = ReviewSession.start(quiz)
    assert session.total == 2
    session.suspend()
    session.answer(4)
    assert session.current() is None
    summary = session.summary()
    assert summary.left_today == 1  # n002 takes the suspended card's place
    assert summary.undoable == 2
    session.undo()
    session.undo()
    assert session.summary().left_today == 2 and session.summary().undoable == 0
