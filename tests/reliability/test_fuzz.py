"""Property tests beyond tests/unit: near-valid decks, leech policies, and whole review sessions.

tests/unit/test_deck_loader.py already feeds the loader random bytes, which
almost never get past the YAML parser; here hypothesis builds decks that are
structurally plausible (the right keys, with wrong types, blanks, bad clozes,
odd ids mixed in), sometimes damaged after dumping, so that the schema and
domain checks are the ones exercised. tests/unit/test_sm2.py checks SM-2 on
the default leech policy; here any policy is used, and a real review session
(answers, undos, new days) on a SQLite file must leave exactly the states
that replaying its log gives.
"""

from __future__ import annotations

import re
import tempfile
from datetime import UTC, date, timedelta
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quiz.config import Settings
from quiz.decks import DeckError
from quiz.decks.loader import load_deck_bytes
from quiz.decks.schema import ID_PATTERN
from quiz.domain import sm2
from quiz.domain.sm2 import CardState, LeechPolicy
from quiz.services import Quiz
from quiz.services.decks import import_files
from quiz.services.review import ReviewSession
from tests.conftest import TINY, FakeClock
from tests.reliability.harness import audit

# --- decks ------------------------------------------------------------------------------------

_chars = st.characters(exclude_categories=["Cs"])  # YAML cannot carry lone surrogates
text = st.text(_chars, max_size=25)
scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=False), text
)
value = st.one_of(text, text, scalar, st.lists(text, max_size=2))
ident = st.one_of(
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,8}", fullmatch=True),
    st.sampled_from(["0012", "yes", "1e3", "1_000", "~", "a b", "-x", ""]),
    scalar,
)
cloze = st.one_of(
    value,
    st.builds(
        "{}{{{{c{}::{}{}}}{}".format,
        text,
        st.integers(-1, 11),
        text,
        st.sampled_from(["", "::hint", "}", "{{c1::"]),
        text,
    ),
)
option = st.fixed_dictionaries(
    {"text": value, "explanation": value},
    optional={"correct": st.one_of(st.booleans(), scalar)},
)
common = {"tags": st.lists(value, max_size=3), "extra": value, "reset": value, "bogus": scalar}
note = st.one_of(
    st.fixed_dictionaries(
        {
            "id": ident,
            "type": st.sampled_from(["basic", "reversed"]),
            "front": value,
            "back": value,
        },
        optional=common,
    ),
    st.fixed_dictionaries({"id": ident, "type": st.just("cloze"), "text": cloze}, optional=common),
    st.fixed_dictionaries(
        {
            "id": ident,
            "type": st.sampled_from(["mcq", "MCQ", "essay"]),
            "stem": value,
            "options": st.lists(option, max_size=12),
        },
        optional={**common, "question": value},
    ),
    scalar,
)
deck_file = st.fixed_dictionaries(
    {
        "deck": st.fixed_dictionaries(
            {"id": ident, "title": value},
            optional={
                "sources": st.lists(
                    st.fixed_dictionaries({"id": ident, "title": value}), max_size=2
                ),
                "version": scalar,
                "tags": st.lists(value, max_size=2),
            },
        ),
        "notes": st.lists(note, max_size=6),
    },
    optional={"extra": scalar},
)


def _damage(data: bytes, how: int, where: int) -> bytes:
    """A typical hand edit gone wrong, at a chosen place."""
    cut = where % (len(data) + 1)
    return [
        data,
        data[:cut],  # truncated
        data[:cut] + b"\t" + data[cut:],  # a tab
        data[:cut] + b"\n" + data[cut:],  # a line broken in two
        data[:cut] + b": " + data[cut:],  # a stray mapping indicator
        data[:cut] + b"\xff" + data[cut:],  # not UTF-8
        data + data[cut:],  # a pasted tail (duplicate keys, ids)
    ][how]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deck_file, st.booleans(), st.integers(0, 6), st.integers(0, 10**6))
def test_near_valid_decks_load_or_fail_with_located_errors_only(
    doc: dict[str, Any], flow: bool, how: int, where: int
) -> None:
    data = _damage(
        yaml.safe_dump(doc, allow_unicode=True, default_flow_style=flow, sort_keys=False).encode(),
        how,
        where,
    )
    # Lines as YAML counts them: \r, NEL, LS and PS break lines too.
    lines = len(re.split("\r\n|[\r\n\x85\u2028\u2029]", data.decode("utf-8", "replace")))
    try:
        loaded = load_deck_bytes(data, "fuzz.yaml")
    except DeckError as exc:
        assert exc.diagnostics
        for d in exc.diagnostics:
            assert d.file == "fuzz.yaml" and d.message
            # libyaml puts errors found at the end of the input on the line after the last.
            assert 1 <= d.line <= lines + 1 and d.column >= 1, d
        return
    # What loads is usable: valid ids, and every card renders.
    assert re.match(ID_PATTERN, loaded.deck.id)
    for n in loaded.deck.notes:
        assert re.match(ID_PATTERN, n.id)
        faces = n.cards()
        assert faces and all(f.prompt.strip() and f.answer.strip() for f in faces)


# --- the scheduler under any leech policy -----------------------------------------------------


@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3)), min_size=1, max_size=60),
    st.integers(1, 12),
    st.integers(1, 12),
)
def test_sm2_invariants_under_any_leech_policy(
    answers: list[tuple[int, int]], tag_at: int, suspend_at: int
) -> None:
    policy = LeechPolicy(tag_at=tag_at, suspend_at=suspend_at)
    state, day = CardState(), date(2026, 11, 22)
    for quality, gap in answers:
        before = state
        state = sm2.review(before, quality, day, policy)
        assert state == sm2.review(before, quality, day, policy)  # deterministic
        if sm2.is_repeat(before, day):
            # Step 7: a same-day repeat only decides whether the card comes back today.
            assert state == CardState(**{**_fields(before), "redrill": quality < 4})
        else:
            assert state.last_review == day and state.due == day + timedelta(days=state.interval)
            assert state.interval >= 1 and sm2.MIN_EF <= state.ef <= before.ef + 10
            assert state.lapses == before.lapses + (quality < 3 and not before.is_new)
        assert state.leech >= before.leech and state.suspended >= before.suspended
        assert state.leech == (state.lapses >= tag_at) or before.leech
        if state.suspended and not before.suspended:
            assert state.lapses >= suspend_at
        day += timedelta(days=gap)


def _fields(state: CardState) -> dict[str, Any]:
    return {name: getattr(state, name) for name in CardState.__slots__}


# --- whole sessions on a real database --------------------------------------------------------

action = st.one_of(
    st.tuples(st.just("answer"), st.integers(0, 5)),
    st.tuples(st.just("undo"), st.just(0)),
    st.tuples(st.just("day"), st.integers(1, 4)),
    st.tuples(st.just("restart"), st.just(0)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(action, max_size=60), st.integers(2, 10))
def test_any_session_leaves_states_that_replaying_the_log_gives(
    actions: list[tuple[str, int]], leech_at: int
) -> None:
    """Answers, undos, restarts and new days in any order: nothing lost or applied twice."""
    policy = LeechPolicy(tag_at=leech_at, suspend_at=leech_at)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "quiz.sqlite3"
        clock = FakeClock()
        quiz = Quiz.open(
            f"sqlite:///{db}", learner="ann", settings=Settings(leech=policy), clock=clock, tz=UTC
        )
        try:
            import_files(quiz, [TINY])
            session = ReviewSession.start(quiz)
            kept = 0
            for kind, n in actions:
                if kind == "answer" and session.current() is not None:
                    session.answer(n)
                    kept += 1
                elif kind == "undo" and session.undo() is not None:
                    kept -= 1
                elif kind == "day":
                    clock.advance(days=n)
                    session = ReviewSession.start(quiz)
                elif kind == "restart":  # quit and start again: a new session, same day
                    session = ReviewSession.start(quiz)
        finally:
            quiz.close()
        result = audit(db, policy)
        assert result.problems == []
        assert result.rows == kept
