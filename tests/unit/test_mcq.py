"""Option identity and each learner's order of a multiple-choice question's options."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from quiz.domain.mcq import option_identity, shown_order, text_fingerprint
from quiz.domain.notes import Note, NoteType

DAY = date(2026, 12, 6)


@given(
    count=st.integers(min_value=0, max_value=10),
    seed=st.text(max_size=20),
    learner=st.text(max_size=20),
    card=st.text(max_size=20),
    days=st.integers(min_value=0, max_value=3650),
)
def test_an_order_is_a_permutation_and_the_same_every_time(
    count: int, seed: str, learner: str, card: str, days: int
) -> None:
    day = DAY + timedelta(days=days)
    order = shown_order(count, seed=seed, learner=learner, card=card, day=day)
    assert sorted(order) == list(range(count))
    assert order == shown_order(count, seed=seed, learner=learner, card=card, day=day)


def test_orders_spread_over_every_position() -> None:
    # Across 600 learners, the first option lands in each of 4 places about equally often.
    places = Counter(
        shown_order(4, seed="s", learner=f"learner{i}", card="d:n:0", day=DAY).index(0)
        for i in range(600)
    )
    assert set(places) == {0, 1, 2, 3}
    assert all(110 <= n <= 190 for n in places.values()), places


def test_identity_survives_reordering_case_and_spacing_but_not_rewording() -> None:
    a = option_identity({"text": "Sodium  thiosulfate", "correct": True})
    assert a == option_identity({"text": "sodium thiosulfate"})
    assert a == text_fingerprint("SODIUM THIOSULFATE") and a.startswith("t:")
    assert a != option_identity({"text": "Sodium thiosulphate"})
    assert option_identity({"text": "anything", "id": "sts"}) == "sts"


def test_a_face_shows_options_in_the_order_given_unless_the_note_keeps_its_own() -> None:
    fields = {
        "stem": "S",
        "options": [
            {"text": "A", "correct": True, "explanation": ""},
            {"text": "B", "explanation": "", "id": "b"},
            {"text": "C", "explanation": ""},
        ],
    }
    face = Note("n", NoteType.MCQ, fields).render(0)
    moved = face.in_order([2, 0, 1])
    assert [o.text for o in moved.options] == ["C", "A", "B"]
    assert moved.correct_letter == "b"
    option = moved.option_for("c")
    assert option is not None and option.id == "b"
    assert moved.option_for("d") is None and moved.option_for("") is None
    assert face.in_order([0, 0, 1]) is face  # not a permutation: left alone
    kept = Note("n", NoteType.MCQ, {**fields, "shuffle": False}).render(0)
    assert kept.in_order([2, 0, 1]) is kept


def test_a_lone_surrogate_has_an_identity_and_an_order() -> None:
    assert option_identity({"text": "\ud800"}).startswith("t:")
    assert sorted(shown_order(3, seed="\udfff", learner="a", card="d:n:0", day=DAY)) == [0, 1, 2]
