"""Statistics over a scripted review history: exact figures for every section and filter.

The history (FakeClock, UTC, days rolling over at 04:00), deck "med" of five basic notes:

    before  c1 seeded as a mature card: EF 2.70, interval 30, 1 lapse, due on day 0
    day 0   Sun 22 Nov  c1 3 (mature review), new a1 5, a2 2, a3 4, b1 3; the session ends
                        before the re-drills, so c1 keeps a stale re-drill flag
    day 1   Mon 23 Nov  a1 5, a2 1 (lapse), a3 5, b1 2 (lapse); re-drills a2 2, b1 4, a2 4
    day 2   Tue 24 Nov  a2 3, b1 5; re-drill a2 5
    day 10  Wed  2 Dec  a2 0 (lapse, left in re-drill), b1 4; a1 and a3 stay due; the first
                        card of the tiny deck is suspended

Answers take 10 s on day 0, 6 s on day 1, 5 s on day 2 and 8 s on day 10. Every figure
asserted below is worked out by hand from this script and SM-2 (see the comments).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, select

from quiz.domain.sm2 import CardState
from quiz.services import Quiz
from quiz.services.cards import find_card
from quiz.services.decks import import_files
from quiz.services.review import ReviewSession
from quiz.services.stats import (
    Bucket,
    CardCounts,
    DayCount,
    Forecast,
    Load,
    Ratio,
    Stats,
    TagAccuracy,
    UnknownScope,
    compute_stats,
)
from quiz.store import queries
from quiz.store import stats_queries as sq
from quiz.store.tables import card_states, cards, review_log
from tests.conftest import TINY, FakeClock

DAY0 = date(2026, 11, 22)
TODAY = date(2026, 12, 2)

MED = """\
deck: {id: med, title: Med}
notes:
  - {id: a1, type: basic, front: Q a1, back: A, tags: ["calci::treatment::pain"]}
  - {id: a2, type: basic, front: Q a2, back: A, tags: ["calci::treatment::pain"]}
  - {id: a3, type: basic, front: Q a3, back: A, tags: ["calci::treatment::dialysis"]}
  - {id: b1, type: basic, front: Q b1, back: A, tags: ["calci::diagnosis", hard]}
  - {id: c1, type: basic, front: Q c1, back: A, tags: [other, hard]}
"""

# A tag sharing a prefix with calci::treatment but not below it, never studied.
DECOY = """\
deck: {id: decoy, title: Decoy}
notes:
  - {id: d1, type: basic, front: Q d1, back: A, tags: ["calci::treatments"]}
"""


def study(session: ReviewSession, script: list[tuple[str, int]], ms: int) -> None:
    """Answer the cards in the order the session serves them, checking that order."""
    for note, quality in script:
        card = session.current()
        assert card is not None and card.info.note_key == note, (note, card)
        session.answer(quality, duration_ms=ms)


def build_history(quiz: Quiz, clock: FakeClock, tmp_path: Path) -> None:
    (tmp_path / "med.yaml").write_text(MED)
    (tmp_path / "decoy.yaml").write_text(DECOY)
    import_files(quiz, [tmp_path / "med.yaml", tmp_path / "decoy.yaml", TINY])
    with quiz.store.write() as conn:
        c1 = find_card(conn, "med:c1")
        assert c1 is not None
        mature = CardState(270, 30, 4, 1, due=DAY0, last_review=DAY0 - timedelta(days=30))
        queries.save_state(conn, quiz.learner_id, c1, mature)

    study(
        ReviewSession.start(quiz, ["med"]),
        [("c1", 3), ("a1", 5), ("a2", 2), ("a3", 4), ("b1", 3)],
        10_000,
    )
    clock.advance(days=1)
    study(
        ReviewSession.start(quiz, ["med"]),
        [("a1", 5), ("a2", 1), ("a3", 5), ("b1", 2), ("a2", 2), ("b1", 4), ("a2", 4)],
        6_000,
    )
    clock.advance(days=1)
    study(ReviewSession.start(quiz, ["med"]), [("a2", 3), ("b1", 5), ("a2", 5)], 5_000)
    clock.advance(days=8)
    session = ReviewSession.start(quiz, ["med"])
    study(session, [("a2", 0), ("b1", 4)], 8_000)
    assert session.remaining == 2 and session.to_redrill == 1  # a1, a3 due; a2 re-drill
    assert ReviewSession.start(quiz, ["tiny"]).suspend() is not None
    assert quiz.today() == TODAY


@pytest.fixture
def history(quiz: Quiz, clock: FakeClock, tmp_path: Path) -> Quiz:
    build_history(quiz, clock, tmp_path)
    return quiz


def test_activity_heatmap_days_and_streaks(history: Quiz) -> None:
    a = compute_stats(history).activity
    assert (a.start, a.end) == (date(2025, 12, 3), TODAY)
    assert a.days == (
        DayCount(date(2026, 11, 22), 5),
        DayCount(date(2026, 11, 23), 7),
        DayCount(date(2026, 11, 24), 3),
        DayCount(date(2026, 12, 2), 2),
    )
    assert (a.answers, a.active_days) == (17, 4)
    # Studied today after a gap: the current streak is today alone; the best was days 0-2.
    assert (a.current_streak, a.longest_streak) == (1, 3)


def test_retention_young_and_mature_per_window(history: Quiz) -> None:
    r7, r30, r365 = compute_stats(history).retention
    assert [w.days for w in (r7, r30, r365)] == [7, 30, 365]
    # Last 7 days (26 Nov - 2 Dec): day 10 only, a2 failed and b1 passed (both interval 1).
    assert (r7.young, r7.mature) == (Ratio(1, 2), Ratio(0, 0))
    assert r7.mature.rate is None and r7.all.rate == 0.5
    # 30 days: young day 1 (2 of 4), day 2 (2 of 2), day 10 (1 of 2); mature c1 on day 0.
    # First answers of new cards and same-day re-drills are not review-card answers.
    assert (r30.young, r30.mature, r30.all) == (Ratio(5, 8), Ratio(1, 1), Ratio(6, 9))
    assert (r365.young, r365.mature) == (r30.young, r30.mature)


def test_card_states_and_distributions(history: Quiz) -> None:
    s = compute_stats(history)
    # a2 failed today and waits for its re-drill: learning. a1, a3, b1 interval 6: young.
    # c1 interval 81: mature (its re-drill flag dates from day 0, not today).
    # Tiny: 5 new + 1 suspended; decoy: 1 new.
    assert s.cards == CardCounts(new=6, learning=1, young=3, mature=1, suspended=1, leech=0)
    assert s.cards.total == 12
    # EF: a2 1.30 (250 -32 -54 -14 -80, floored), b1 2.14 (250 -14 -32 +10 +0),
    # c1 2.56 (270 -14), a3 2.60, a1 2.70.
    assert [b.count for b in s.ef.buckets] == [1, 0, 0, 0, 1, 0, 2, 1]
    assert s.ef.buckets[0] == Bucket("1.30-1.49", 130, 149, 1)
    assert s.ef.buckets[-1] == Bucket("2.70+", 270, None, 1)
    assert s.ef.mean == pytest.approx((130 + 214 + 256 + 260 + 270) / 5)
    # Intervals: a2 1; a1, a3, b1 6; c1 ceil(30 * 2.7) = 81.
    assert [b.count for b in s.intervals.buckets] == [1, 0, 3, 0, 0, 0, 1, 0, 0, 0]
    assert [b.label for b in s.intervals.buckets][:3] == ["1d", "2-3d", "4-7d"]
    assert s.intervals.buckets[6].label == "31-90d"
    assert s.intervals.mean == pytest.approx(100 / 5)


def test_forecast_and_todays_load(history: Quiz) -> None:
    s = compute_stats(history)
    # a1, a3 were due on 29 Nov (overdue, shown today); a2 tomorrow; b1 in 6 days;
    # c1 on 11 Feb, beyond the 30 days.
    due = [0] * 30
    due[0], due[1], due[6] = 2, 1, 1
    assert s.forecast == Forecast(TODAY, tuple(due), overdue=2)
    assert s.forecast.total == 4
    # New: 5 tiny (one suspended) + 1 decoy; reviews: a1, a3; re-drill: a2 (not c1,
    # whose flag is from day 0).
    assert s.load == Load(new=6, reviews=2, redrill=1)


def test_daily_limits_cap_todays_load(make_quiz: object, clock: FakeClock, tmp_path: Path) -> None:
    from quiz.config import DeckLimits, Settings

    limits = Settings(decks={"tiny": DeckLimits(new_per_day=2, reviews_per_day=0)})
    quiz: Quiz = make_quiz(settings=limits)  # type: ignore[operator]
    build_history(quiz, clock, tmp_path)
    # Each deck's own limits: tiny offers 2 of its 5 new cards, decoy its 1.
    assert compute_stats(quiz).load == Load(new=3, reviews=2, redrill=1)
    limits = Settings(decks={"med": DeckLimits(reviews_per_day=3)})
    quiz = make_quiz(settings=limits)  # type: ignore[operator]
    # med answered 2 scheduled reviews today, so 1 of its 2 due reviews is left.
    assert compute_stats(quiz).load == Load(new=6, reviews=1, redrill=1)


def test_weakest_topics_and_hardest_cards(history: Quiz) -> None:
    s = compute_stats(history)
    # Scheduled answers: a1 2/2, a2 1/4 -> pain 3/6; b1 3/4 + c1 1/1 -> hard 4/5.
    # dialysis (2), diagnosis (4) and other (1) have too few answers to rank.
    assert s.weakest_tags == (
        TagAccuracy("calci::treatment::pain", Ratio(3, 6)),
        TagAccuracy("hard", Ratio(4, 5)),
    )
    # Below the starting EF or with lapses, lowest EF first: a2 (1.30, 2 lapses),
    # b1 (2.14, 1 lapse), c1 (2.56 but a lapse). a1 and a3 (2.70, 2.60) never lapsed.
    assert [(h.ref, h.ef, h.lapses, h.interval) for h in s.hardest_cards] == [
        ("med:a2:0", 130, 2, 1),
        ("med:b1:0", 214, 1, 6),
        ("med:c1:0", 256, 1, 81),
    ]


def test_time_per_day_and_per_answer(history: Quiz) -> None:
    t = compute_stats(history).time
    assert t.start == date(2026, 11, 3) and len(t.ms) == len(t.answers) == 30
    nonzero = {
        t.start + timedelta(days=i): (n, ms)
        for i, (n, ms) in enumerate(zip(t.answers, t.ms, strict=True))
        if n
    }
    assert nonzero == {
        date(2026, 11, 22): (5, 50_000),
        date(2026, 11, 23): (7, 42_000),
        date(2026, 11, 24): (3, 15_000),
        date(2026, 12, 2): (2, 16_000),
    }
    assert t.total_seconds == 123
    assert t.seconds_per_answer == pytest.approx(123 / 17)


def test_deck_filter(history: Quiz) -> None:
    med = compute_stats(history, deck="med")
    assert med.cards == CardCounts(new=0, learning=1, young=3, mature=1, suspended=0, leech=0)
    assert med.load == Load(new=0, reviews=2, redrill=1)
    assert med.activity.answers == 17
    tiny = compute_stats(history, deck="tiny")
    assert tiny.cards == CardCounts(new=5, learning=0, young=0, mature=0, suspended=1, leech=0)
    assert tiny.activity.days == () and tiny.time.total_seconds == 0
    assert tiny.retention[2].all == Ratio(0, 0) and tiny.forecast.total == 0
    assert tiny.weakest_tags == () and tiny.hardest_cards == ()
    assert tiny.load == Load(new=5, reviews=0, redrill=0)
    # Streaks are the learner's habit, whatever the filter.
    assert (tiny.activity.current_streak, tiny.activity.longest_streak) == (1, 3)


def test_tag_filter_matches_the_tag_and_its_descendants_only(history: Quiz) -> None:
    s = compute_stats(history, tag="calci::treatment")
    # a1, a2, a3 (pain, dialysis); not calci::treatments, not the diagnosis or other notes.
    assert s.cards == CardCounts(new=0, learning=1, young=2, mature=0, suspended=0, leech=0)
    # Answers: day 0 a1 a2 a3, day 1 a1 a2 a3 a2 a2, day 2 a2 a2, day 10 a2.
    assert [(d.day.day, d.answers) for d in s.activity.days] == [(22, 3), (23, 5), (24, 2), (2, 1)]
    r7, r30, _ = s.retention
    assert (r7.young, r30.young, r30.mature) == (Ratio(0, 1), Ratio(3, 5), Ratio(0, 0))
    # Only the filter's tags are ranked (b1's and c1's "hard" is not).
    assert s.weakest_tags == (TagAccuracy("calci::treatment::pain", Ratio(3, 6)),)
    assert [h.ref for h in s.hardest_cards] == ["med:a2:0"]
    assert s.forecast.due[:2] == (2, 1) and s.forecast.total == 3
    assert s.load == Load(new=0, reviews=2, redrill=1)
    assert s.time.total_seconds == 30 + 30 + 10 + 8
    decoy = compute_stats(history, tag="calci::treatments")
    assert decoy.cards == CardCounts(new=1, learning=0, young=0, mature=0, suspended=0, leech=0)
    assert compute_stats(history, tag="hard", deck="med").cards.total == 2


def test_an_interval_of_21_days_is_mature(quiz: Quiz, tmp_path: Path) -> None:
    (tmp_path / "med.yaml").write_text(MED)
    import_files(quiz, [tmp_path / "med.yaml"])
    with quiz.store.write() as conn:
        for note, interval in (("a1", 20), ("a2", 21)):
            card = find_card(conn, f"med:{note}")
            assert card is not None
            last = DAY0 - timedelta(days=interval)
            state = CardState(250, interval, 3, 0, due=DAY0, last_review=last)
            queries.save_state(conn, quiz.learner_id, card, state)
    before = compute_stats(quiz).cards
    assert (before.young, before.mature) == (1, 1)
    study(ReviewSession.start(quiz, ["med"]), [("a1", 2), ("a2", 2)], 1_000)
    week = compute_stats(quiz).retention[0]
    assert (week.young, week.mature) == (Ratio(0, 1), Ratio(0, 1))


def test_unknown_deck_or_tag_is_an_error_that_says_which(history: Quiz) -> None:
    with pytest.raises(UnknownScope, match="no deck with id 'nope'"):
        compute_stats(history, deck="nope")
    # A prefix of a tag is not a tag: "calci::treat" matches neither itself nor "calci::treat::*".
    with pytest.raises(UnknownScope, match="calci::treat"):
        compute_stats(history, tag="calci::treat")


def test_retired_cards_leave_states_but_keep_their_history(history: Quiz, tmp_path: Path) -> None:
    (tmp_path / "med.yaml").write_text("\n".join(MED.splitlines()[:-1]) + "\n")  # drop c1
    import_files(history, [tmp_path / "med.yaml"])
    s = compute_stats(history, deck="med")
    assert (s.cards.mature, s.cards.total) == (0, 4)
    assert s.activity.answers == 17 and s.retention[1].mature == Ratio(1, 1)
    # c1 lapsed once but is retired: the hardest cards are live ones only.
    assert [h.ref for h in compute_stats(history).hardest_cards] == ["med:a2:0", "med:b1:0"]


def test_other_learners_see_their_own_statistics(history: Quiz, make_quiz: object) -> None:
    bob: Quiz = make_quiz("bob")  # type: ignore[operator]
    s = compute_stats(bob)
    assert s.activity.days == () and s.activity.current_streak == 0
    assert s.cards == CardCounts(new=12, learning=0, young=0, mature=0, suspended=0, leech=0)
    assert s.retention[2].all == Ratio(0, 0) and s.hardest_cards == ()


def test_as_dict_is_json_with_derived_figures(history: Quiz) -> None:
    import json

    data = json.loads(json.dumps(compute_stats(history, deck="med").as_dict()))
    assert data["today"] == "2026-12-02" and data["deck"] == "med" and data["tag"] is None
    assert data["activity"]["answers"] == 17
    assert data["activity"]["days"][0] == {"day": "2026-11-22", "answers": 5}
    assert data["retention"][1]["all"] == {"passed": 6, "total": 9, "rate": pytest.approx(2 / 3)}
    assert data["cards"]["total"] == 5
    assert data["hardest_cards"][0]["ref"] == "med:a2:0"
    assert data["time"]["seconds_per_answer"] == pytest.approx(123 / 17)


def _count_queries(engine: Engine, run: object) -> int:
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        run()  # type: ignore[operator]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return sum(1 for s in statements if s.lstrip().upper().startswith("SELECT"))


def test_query_count_does_not_grow_with_the_history(
    quiz: Quiz, clock: FakeClock, tmp_path: Path
) -> None:
    """Aggregates in SQL: as many SELECTs for a day's answers as for weeks of them."""
    (tmp_path / "med.yaml").write_text(MED)
    import_files(quiz, [tmp_path / "med.yaml"])
    script = [("a1", 5), ("a2", 2), ("a3", 5), ("b1", 5), ("c1", 5), ("a2", 4)]
    study(ReviewSession.start(quiz), script, 1_000)
    few = _count_queries(quiz.store.engine, lambda: compute_stats(quiz))
    for _ in range(40):
        clock.advance(days=1)
        session = ReviewSession.start(quiz)
        while (card := session.current()) is not None:
            # Fail each card once, then pass its re-drill so the day ends.
            session.answer(4 if card.repeat else 2, duration_ms=1_000)
    assert compute_stats(quiz).activity.answers > 80
    many = _count_queries(quiz.store.engine, lambda: compute_stats(quiz))
    assert few == many <= 10


def test_stats_is_frozen(history: Quiz) -> None:
    s: Stats = compute_stats(history)
    with pytest.raises(AttributeError):
        s.today = TODAY  # type: ignore[misc]


# --- the aggregate queries against a plain reference ---------------------------------------


def _random_log(quiz: Quiz, rng: random.Random, today: date, n: int) -> None:
    """Answers of every kind (quality 0-5, unscheduled, first answers, any interval) over
    400 days, several per day, to the cards of the scripted history."""
    with quiz.store.write() as conn:
        card_ids = list(conn.execute(select(cards.c.id)).scalars())
        rows = []
        for _ in range(n):
            day = today - timedelta(days=rng.randrange(400))
            first = rng.random() < 0.2
            rows.append(
                {
                    "learner_id": quiz.learner_id,
                    "card_id": rng.choice(card_ids),
                    "reviewed_at": datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
                    "study_day": day,
                    "quality": rng.randrange(6),
                    "scheduled": rng.random() < 0.8,
                    "duration_ms": rng.randrange(1, 30_000),
                    "ef_before": 250,
                    "ef_after": 250,
                    "interval_before": rng.choice((0, 1, 6, 20, 21, 22, 90)),
                    "interval_after": 1,
                    "repetitions_before": 0,
                    "repetitions_after": 1,
                    "lapses_before": 0,
                    "lapses_after": 0,
                    "due_before": None if first else day,
                    "due_after": day + timedelta(days=1),
                    "last_review_before": None if first else day - timedelta(days=1),
                    "redrill_before": False,
                    "redrill_after": False,
                    "leech_before": False,
                    "leech_after": False,
                    "suspended_before": False,
                    "suspended_after": False,
                }
            )
        conn.execute(insert(review_log), rows)


def _reference_days(quiz: Quiz, card_ids: set[int] | None, since: date) -> list[sq.DayRow]:
    """daily() worked out in Python from every log row, as the definitions read."""
    days: dict[date, list[int]] = {}
    with quiz.store.read() as conn:
        log = conn.execute(select(review_log).where(review_log.c.learner_id == quiz.learner_id))
        for r in log:
            if r.study_day < since or r.study_day > quiz.today():
                continue
            if card_ids is not None and r.card_id not in card_ids:
                continue
            d = days.setdefault(r.study_day, [0] * 5)
            d[0] += 1
            if r.scheduled and r.last_review_before is not None:
                slot = 1 if r.interval_before < 21 else 3
                d[slot] += 1
                d[slot + 1] += r.quality >= 3
    return [sq.DayRow(day, *days[day]) for day in sorted(days)]


def test_daily_figures_equal_a_row_by_row_reference(history: Quiz) -> None:
    """The per-day query groups by (day, scheduled, quality) and folds in Python."""
    today = history.today()
    _random_log(history, random.Random(5), today, 3_000)
    since = today - timedelta(days=364)
    with history.store.read() as conn:
        scope = sq.resolve_scope(conn, history.learner_id, today, "med", None)
        med_ids = {int(card_id) for card_id in conn.scalars(select(scope.card_ids().subquery()))}
        for deck, ids in ((None, None), ("med", med_ids)):
            scope = sq.resolve_scope(conn, history.learner_id, today, deck, None)
            got = sq.daily(conn, scope, since, mature_days=21, pass_quality=3)
            assert got == _reference_days(history, ids, since), deck
    # Durations over the last 30 days, against the same rows.
    with history.store.read() as conn:
        scope = sq.resolve_scope(conn, history.learner_id, today, None, None)
        start = today - timedelta(days=29)
        ms = sq.durations(conn, scope, start)
        log = review_log.c
        rows = conn.execute(select(log.study_day, log.duration_ms).where(log.study_day >= start))
        expected: dict[date, int] = {}
        for day, duration in rows:
            if day <= today:
                expected[day] = expected.get(day, 0) + duration
    assert ms == expected


def test_forecast_and_hardest_equal_a_card_by_card_reference(history: Quiz) -> None:
    """Due days folded into the card groups, and the hardest cards read off card_states."""
    rng = random.Random(7)
    today = history.today()
    with history.store.write() as conn:
        for (card_id,) in conn.execute(select(cards.c.id)):
            last = today - timedelta(days=rng.randrange(1, 60))
            state = CardState(
                rng.choice((130, 200, 249, 250, 260)),
                rng.randrange(1, 40),
                1,
                rng.choice((0, 0, 1, 3)),
                due=last + timedelta(days=rng.randrange(1, 80)),
                last_review=last,
                suspended=rng.random() < 0.2,
            )
            queries.save_state(conn, history.learner_id, card_id, state)
    s = compute_stats(history)
    with history.store.read() as conn:
        states = list(
            conn.execute(select(card_states).where(card_states.c.learner_id == history.learner_id))
        )
    due = [0] * 30
    overdue = 0
    for r in states:
        if not r.suspended and r.due <= today + timedelta(days=29):
            offset = (r.due - today).days
            overdue += offset < 0
            due[max(0, offset)] += 1
    assert s.forecast == Forecast(today, tuple(due), overdue)
    hard = sorted(
        (r for r in states if r.ef < 250 or r.lapses > 0),
        key=lambda r: (r.ef, -r.lapses, r.card_id),
    )
    assert [h.card_id for h in s.hardest_cards] == [r.card_id for r in hard[:10]]


def test_the_per_day_figures_are_read_off_the_index_alone(history: Quiz) -> None:
    """On SQLite the year of answers comes from ix_review_log_stats in its order: no table
    rows and no sort, which is what keeps statistics fast over a million reviews."""
    if history.store.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite query plan")
    statements: list[tuple[str, Any]] = []

    def record(*args: object) -> None:
        statements.append((str(args[2]), args[3]))

    event.listen(history.store.engine, "before_cursor_execute", record)
    try:
        compute_stats(history)
    finally:
        event.remove(history.store.engine, "before_cursor_execute", record)
    log_queries = [
        (sql, p)
        for sql, p in statements
        if "FROM review_log" in sql and "GROUP BY review_log.study_day" in sql
    ]
    assert len(log_queries) == 2
    with history.store.read() as conn:
        for sql, params in log_queries:
            plan = " | ".join(
                str(r[3]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)
            )
            assert "COVERING INDEX ix_review_log_stats" in plan and "TEMP B-TREE" not in plan, plan
