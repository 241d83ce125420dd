"""SM-2 as published: EF arithmetic, the 1/6/I*EF intervals, failures, step 7 and leeches."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quiz.domain import sm2
from quiz.domain.sm2 import CardState, LeechPolicy, next_ef, review

DAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("quality", "ef_after"),
    [(5, 260), (4, 250), (3, 236), (2, 218), (1, 196), (0, 170)],
)
def test_ef_update_matches_the_published_formula(quality: int, ef_after: int) -> None:
    # EF' = EF + (0.1 - (5-q)(0.08 + (5-q)0.02)) from EF = 2.5
    assert next_ef(250, quality) == ef_after
    exact = 2.5 + (0.1 - (5 - quality) * (0.08 + (5 - quality) * 0.02))
    assert ef_after == round(exact * 100)


def test_ef_never_drops_below_1_3() -> None:
    assert next_ef(130, 0) == 130
    assert next_ef(140, 0) == 130


def _run(qualities: list[int]) -> list[CardState]:
    state, day, states = CardState(), DAY, []
    for q in qualities:
        state = review(state, q, day)
        states.append(state)
        day = state.due  # type: ignore[assignment]
    return states


def test_six_perfect_reviews_give_the_exact_intervals() -> None:
    assert [s.interval for s in _run([5] * 6)] == [1, 6, 17, 48, 140, 420]


def test_interval_uses_ef_before_this_reviews_update() -> None:
    # q=4 keeps EF at 2.5: 1, 6, ceil(6*2.5)=15, ceil(15*2.5)=38
    assert [s.interval for s in _run([4] * 4)] == [1, 6, 15, 38]
    # q=3 lowers EF each time: 2.5 -> 2.36 -> 2.22 -> 2.08; third interval uses 2.22
    states = _run([3, 3, 3, 3])
    assert [s.ef for s in states] == [236, 222, 208, 194]
    assert [s.interval for s in states] == [1, 6, 14, 30]  # ceil(6*2.22)=14, ceil(14*2.08)=30


def test_failure_resets_repetitions_and_interval_but_keeps_updated_ef() -> None:
    states = _run([5, 5, 5, 1])
    failed = states[-1]
    assert (failed.repetitions, failed.interval) == (0, 1)
    assert failed.ef == 280 - 54
    assert failed.lapses == 1
    # and it restarts at 1, 6 on the next passes
    after = review(failed, 4, failed.due)  # type: ignore[arg-type]
    assert (after.repetitions, after.interval) == (1, 1)


def test_failing_a_new_card_is_not_a_lapse() -> None:
    assert review(CardState(), 0, DAY).lapses == 0


def test_due_date_is_today_plus_interval() -> None:
    s = review(CardState(), 5, DAY)
    assert s.due == DAY + timedelta(days=1)
    assert s.last_review == DAY


@pytest.mark.parametrize(
    ("quality", "redrill"), [(0, True), (2, True), (3, True), (4, False), (5, False)]
)
def test_step_7_redrill_below_four(quality: int, redrill: bool) -> None:
    assert review(CardState(), quality, DAY).redrill is redrill


def test_same_day_repeats_do_not_reschedule() -> None:
    first = review(CardState(), 3, DAY)
    assert first.redrill
    again = review(first, 1, DAY)
    assert again == first  # still to re-drill, nothing else changed
    done = review(again, 5, DAY)
    assert not done.redrill
    assert (done.ef, done.interval, done.repetitions, done.due) == (
        first.ef,
        first.interval,
        first.repetitions,
        first.due,
    )


def test_leech_is_marked_and_suspended_at_threshold_then_every_half_threshold() -> None:
    policy = LeechPolicy(tag_at=4, suspend_at=4)
    state = review(CardState(), 5, DAY)
    day = DAY
    seen = []
    for _ in range(8):
        day += timedelta(days=1)
        state = review(state, 1, day, policy)
        seen.append((state.lapses, state.leech, state.suspended))
        state = CardState(**{**_fields(state), "suspended": False})  # learner unsuspends
    assert [s[0] for s in seen] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert [s[1] for s in seen] == [False, False, False, True, True, True, True, True]
    assert [s[2] for s in seen] == [False, False, False, True, False, True, False, True]


def _fields(state: CardState) -> dict[str, object]:
    return {name: getattr(state, name) for name in CardState.__slots__}


@pytest.mark.parametrize("bad", [-1, 6, 2.5, True, "3"])
def test_quality_outside_0_to_5_is_rejected(bad: object) -> None:
    with pytest.raises(ValueError, match="quality"):
        review(CardState(), bad, DAY)  # type: ignore[arg-type]


def test_format_ef() -> None:
    assert sm2.format_ef(250) == "2.50"
    assert sm2.format_ef(130) == "1.30"


qualities = st.lists(st.integers(0, 5), min_size=1, max_size=40)


@given(qualities, st.lists(st.integers(0, 3), min_size=40, max_size=40))
def test_invariants_hold_for_any_grade_sequence(grades: list[int], gaps: list[int]) -> None:
    state, day = CardState(), DAY
    for q, gap in zip(grades, gaps, strict=False):
        before = state
        state = review(state, q, day)
        assert state.ef >= sm2.MIN_EF
        assert state.due is not None and state.due > day
        if sm2.is_repeat(before, day):
            assert state.interval == before.interval and state.ef == before.ef
        elif q >= 3:
            assert state.interval >= before.interval  # a pass never shortens the interval
            assert state.repetitions == before.repetitions + 1
        else:
            assert (state.repetitions, state.interval) == (0, 1)  # a fail always resets
        assert state.redrill == (q < 4)
        day = day + timedelta(days=gap)  # gap 0 means a same-day repeat


def test_the_longest_perfect_sequence_stops_at_the_maximum_interval() -> None:
    state, day, seen = sm2.CardState(), date(2026, 1, 1), []
    for _ in range(200):  # far past where the uncapped interval would overflow a date
        state = sm2.review(state, 5, day)
        seen.append(state.interval)
        assert state.due is not None
        day = state.due
    assert max(seen) == sm2.MAX_INTERVAL == 36_500
    assert seen[-1] == sm2.MAX_INTERVAL


def test_a_smaller_maximum_interval_is_honoured() -> None:
    state, day = sm2.CardState(), date(2026, 1, 1)
    for _ in range(30):
        state = sm2.review(state, 5, day, max_interval=180)
        assert state.interval <= 180 and state.due is not None
        day = state.due
    assert state.interval == 180


def test_no_date_arithmetic_overflows_near_the_end_of_the_calendar() -> None:
    state = sm2.CardState(interval=30_000, repetitions=9, due=date(9999, 12, 1))
    after = sm2.review(state, 5, date(9999, 12, 1))
    assert after.due == date.max
    assert after.interval == sm2.MAX_INTERVAL


def test_max_interval_is_a_setting() -> None:
    from quiz.config import ConfigError, parse_settings

    assert parse_settings({}).max_interval == 36_500
    assert parse_settings({"max_interval": 365}).max_interval == 365
    with pytest.raises(ConfigError, match="max_interval"):
        parse_settings({"max_interval": 0})
    with pytest.raises(ConfigError, match="max_interval"):
        parse_settings({"max_interval": 40_000})
