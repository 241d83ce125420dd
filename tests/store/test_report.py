"""Item analysis from real review data of several learners, and import plans between deck files."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from quiz.config import Settings
from quiz.decks.loader import load_deck
from quiz.domain.notes import NoteType
from quiz.domain.plan import NoteChange, Outcome
from quiz.domain.sm2 import LeechPolicy
from quiz.services import Quiz
from quiz.services.decks import import_files
from quiz.services.report import card_report, diff_decks, learners_per_card
from quiz.services.review import ReviewSession
from tests.conftest import TINY, FakeClock

ANN_FLAG = "Accept 'Paris, France' too"
BOB_FLAG = "Two options look right"


def study(quiz: Quiz, grades: dict[str, int], flags: dict[str, str | None] | None = None) -> None:
    """Answer today's queue: ``grades`` for each card's scheduled answer, 4 for re-drills."""
    session = ReviewSession.start(quiz, ["tiny"])
    while (card := session.current()) is not None:
        if not card.repeat and flags and card.info.ref in flags:
            session.toggle_flag(flags[card.info.ref])
        session.answer(4 if card.repeat else grades[card.info.ref])


def two_learners_two_days(make_quiz: object, clock: FakeClock) -> Quiz:
    """Ann and Bob study the tiny deck for two days; Cat opens it and studies nothing.

    EF changes per SM-2 grade, in hundredths: 5 -> +10, 4 -> 0, 3 -> -14, 2 -> -32, 1 -> -54.
    """
    ann: Quiz = make_quiz("ann")  # type: ignore[operator]
    bob: Quiz = make_quiz("bob", Settings(leech=LeechPolicy(tag_at=1, suspend_at=99)))  # type: ignore[operator]
    make_quiz("cat")  # type: ignore[operator]
    import_files(ann, [TINY])

    # Day 1. Ann first grades `capital` 1, then takes it back: her first answer is the 5.
    session = ReviewSession.start(ann, ["tiny"])
    assert session.current().info.ref == "tiny:capital:0"  # type: ignore[union-attr]
    session.answer(1)
    session.undo()
    study(
        ann,
        {"tiny:capital:0": 5, "tiny:water:0": 2, "tiny:sodium:1": 4, "tiny:vignette:0": 1},
        {"tiny:capital:0": ANN_FLAG},
    )
    study(
        bob,
        {"tiny:capital:0": 3, "tiny:water:0": 1, "tiny:sodium:1": 5, "tiny:vignette:0": 2},
        {"tiny:capital:0": None, "tiny:vignette:0": BOB_FLAG},
    )
    # Day 2: the four cards are due again; their siblings wait (same note, same day).
    clock.advance(days=1)
    study(ann, {"tiny:capital:0": 5, "tiny:water:0": 1, "tiny:sodium:1": 4, "tiny:vignette:0": 5})
    study(bob, {"tiny:capital:0": 4, "tiny:water:0": 1, "tiny:sodium:1": 4, "tiny:vignette:0": 4})
    return ann


def test_item_analysis_figures_from_two_learners(make_quiz: object, clock: FakeClock) -> None:
    quiz = two_learners_two_days(make_quiz, clock)
    with quiz.store.read() as conn:
        rows = card_report(conn)
    figures = [
        (
            r.ref,
            r.reviews,
            r.learners,
            r.first_passed,
            r.first_answers,
            r.average_ef,
            r.lapses,
            r.leeches,
            [f.note for f in r.flags],
        )
        for r in rows
    ]
    # Worst first: most flags, then leeches, then lowest first-try accuracy.
    assert figures == [
        # EF: ann 250+10+10 = 270, bob 250-14+0 = 236
        ("tiny:capital:0", 4, 2, 2, 2, Decimal("2.53"), 0, 0, [ANN_FLAG, None]),
        # EF: ann 250-54+10 = 206, bob 250-32+0 = 218
        ("tiny:vignette:0", 4, 2, 0, 2, Decimal("2.12"), 0, 0, [BOB_FLAG]),
        # EF: ann 250-32-54 = 164, bob 250-54-54 = 142; one lapse each on day 2,
        # and Bob's leech threshold is 1 lapse
        ("tiny:water:0", 4, 2, 0, 2, Decimal("1.53"), 2, 1, []),
        # EF: ann 250, bob 260
        ("tiny:sodium:1", 4, 2, 2, 2, Decimal("2.55"), 0, 0, []),
    ]
    assert rows[0].first_try == Fraction(1)
    assert rows[1].first_try == Fraction(0)
    assert rows[0].type is NoteType.BASIC
    assert rows[0].prompt == "Capital of France?"
    assert rows[3].prompt == "[...] has the symbol Na."
    assert all(f.at == clock.now.replace(day=22) for f in rows[0].flags)


def test_min_reviews_keeps_flagged_cards_and_unstudied_cards_need_zero(
    make_quiz: object, clock: FakeClock
) -> None:
    quiz = two_learners_two_days(make_quiz, clock)
    with quiz.store.read() as conn:
        assert [r.ref for r in card_report(conn, min_reviews=5)] == [
            "tiny:capital:0",
            "tiny:vignette:0",
        ]
        everything = card_report(conn, min_reviews=0)
    assert len(everything) == 6
    unstudied = [r for r in everything if r.reviews == 0]
    assert [(r.ref, r.first_try, r.average_ef) for r in unstudied] == [
        ("tiny:sodium:2", None, None),
        ("tiny:water:1", None, None),
    ]


def test_report_leaves_out_other_decks_and_retired_cards(
    make_quiz: object, clock: FakeClock, tmp_path: Path
) -> None:
    quiz = two_learners_two_days(make_quiz, clock)
    other = tmp_path / "other.yaml"
    other.write_text(TINY.read_text().replace("id: tiny", "id: other"))
    without_vignette = tmp_path / "tiny.yaml"
    text = TINY.read_text()
    without_vignette.write_text(text[: text.index("  - id: vignette")])
    import_files(quiz, [other, without_vignette])
    with quiz.store.read() as conn:
        assert [r.ref for r in card_report(conn, deck_key="tiny")] == [
            "tiny:capital:0",
            "tiny:water:0",
            "tiny:sodium:1",
        ]
        assert card_report(conn, deck_key="other", min_reviews=0)[0].deck == "other"
        assert card_report(conn, deck_key="nope", min_reviews=0) == []


def test_learner_counts_per_card_of_an_imported_deck(make_quiz: object, clock: FakeClock) -> None:
    quiz = two_learners_two_days(make_quiz, clock)
    with quiz.store.read() as conn:
        counts = learners_per_card(conn, "tiny")
    assert counts[("capital", 0)] == 2 and counts[("sodium", 1)] == 2
    assert set(counts) <= {
        ("capital", 0), ("water", 0), ("water", 1), ("sodium", 1), ("sodium", 2), ("vignette", 0)
    }  # fmt: skip


def edited_tiny(tmp_path: Path) -> Path:
    """tiny.yaml with capital's answer edited, sodium's c2 renumbered c3, water reset,
    vignette removed and a note added."""
    text = TINY.read_text()
    text = text[: text.index("  - id: vignette")]
    text = text.replace("back: Paris", "back: Paris (Île-de-France)")
    text = text.replace("{{c2::Na::two letters}}", "{{c3::Na::two letters}}")
    text = text.replace("  - id: water\n", "  - id: water\n    reset: '2026-11'\n")
    text += "  - {id: oxygen, type: cloze, text: '{{c1::O}} is {{c2::oxygen}}.'}\n"
    path = tmp_path / "tiny-new.yaml"
    path.write_text(text)
    return path


def card_outcomes(plan: object) -> dict[tuple[str, str], Outcome]:
    return {(c.note, c.name): c.outcome for c in plan.cards()}  # type: ignore[attr-defined]


def test_diff_of_two_deck_files_plans_exactly_what_import_would_do(tmp_path: Path) -> None:
    plan = diff_decks(load_deck(TINY), load_deck(edited_tiny(tmp_path)))
    assert [(n.key, n.change, n.edits) for n in plan.changed] == [
        ("capital", NoteChange.EDITED, ("text edited",)),
        ("water", NoteChange.RESET, ("`reset` changed",)),
        ("sodium", NoteChange.EDITED, ("text edited",)),
        ("oxygen", NoteChange.ADDED, ()),
        ("vignette", NoteChange.RETIRED, ()),
    ]
    assert card_outcomes(plan) == {
        ("capital", "card"): Outcome.ANSWER_CHANGED,
        ("water", "forward"): Outcome.RESET,
        ("water", "reverse"): Outcome.RESET,
        ("sodium", "c1"): Outcome.UNCHANGED,
        ("sodium", "c3"): Outcome.NEW,
        ("sodium", "c2"): Outcome.RETIRED,
        ("oxygen", "c1"): Outcome.NEW,
        ("oxygen", "c2"): Outcome.NEW,
        ("vignette", "card"): Outcome.RETIRED,
    }
    capital = plan.cards()[0]
    assert (capital.old_answer, capital.new_answer) == ("Paris", "Paris (Île-de-France)")
    messages = [w.message for w in plan.warnings]
    assert len(messages) == 2
    assert messages[0].startswith("capital card: answer changed from 'Paris' to")
    # c2's answer is now asked by c3 and by nothing else: the plan suggests the move.
    assert "sodium c2: card removed;" in messages[1]
    assert "add `from: {c3: c2}` to note sodium to carry it" in messages[1]


def test_dry_run_counts_learners_and_changes_nothing(
    make_quiz: object, clock: FakeClock, tmp_path: Path
) -> None:
    quiz = two_learners_two_days(make_quiz, clock)
    with quiz.store.read() as conn:
        before = card_report(conn, min_reviews=0)
        counts = learners_per_card(conn, "tiny")
    [plan] = import_files(quiz, [edited_tiny(tmp_path)], dry_run=True)
    assert {c.key: c.learners for c in plan.cards()} == {
        c.key: counts.get(c.key, 0) for c in plan.cards()
    }
    assert plan.cards()[0].learners == 2  # capital
    with quiz.store.read() as conn:
        assert card_report(conn, min_reviews=0) == before


def test_by_learner_accuracy_and_weakest_tags(make_quiz: object, clock: FakeClock) -> None:
    from quiz.services.report import learner_report

    quiz = two_learners_two_days(make_quiz, clock)
    with quiz.store.read() as conn:
        people = learner_report(conn, min_answers=1)
        strict = learner_report(conn)
    # First attempts on day 1 (ann's undone 1 on capital does not count): ann 5, 2, 4, 1;
    # bob 3, 1, 5, 2. Every answer: 4 cards x 2 days + re-drills of the cards graded < 4.
    assert [(p.name, p.answered, p.correct) for p in people] == [("ann", 4, 2), ("bob", 4, 2)]
    assert people[0].accuracy == 0.5
    assert people[0].answers > 8
    assert [(t.tag, t.correct, t.answered) for t in people[0].weakest] == [
        ("med", 0, 1),
        ("chem", 1, 2),
        ("geo::europe", 1, 1),
    ]
    assert all(p.weakest == () for p in strict)  # no tag has 3 first attempts yet
