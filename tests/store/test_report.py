"""Item analysis from real review data of several learners, and import plans between deck files."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from quiz.config import Settings
from quiz.decks.loader import load_deck
from quiz.domain.notes import NoteType
from quiz.domain.sm2 import LeechPolicy
from quiz.services import Quiz
from quiz.services.decks import import_files
from quiz.services.importer import Change
from quiz.services.report import (
    card_report,
    diff_decks,
    learners_per_note,
    note_types,
    preview_imports,
)
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


def test_learner_counts_and_note_types_of_an_imported_deck(
    make_quiz: object, clock: FakeClock
) -> None:
    quiz = two_learners_two_days(make_quiz, clock)
    with quiz.store.read() as conn:
        assert learners_per_note(conn, "tiny") == {
            "capital": 2,
            "water": 2,
            "sodium": 2,
            "vignette": 2,
        }
        assert note_types(conn, "tiny")["sodium"] is NoteType.CLOZE


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


def test_diff_of_two_deck_files_plans_exactly_what_import_would_do(tmp_path: Path) -> None:
    result = diff_decks(load_deck(TINY), load_deck(edited_tiny(tmp_path)))
    changes = [
        (n.key, n.change, n.cards_added, n.cards_retired, n.reset, n.learners)
        for n in result.report.changed
    ]
    assert changes == [
        ("capital", Change.EDITED, [], [], False, 0),
        ("water", Change.UNCHANGED, [], [], True, 0),
        ("sodium", Change.EDITED, [3], [2], False, 0),
        ("oxygen", Change.ADDED, [1, 2], [], False, 0),
        ("vignette", Change.RETIRED, [], [0], False, 0),
    ]
    assert result.old_types["vignette"] is NoteType.MCQ
    assert "oxygen" not in result.old_types
    assert result.new_types["oxygen"] is NoteType.CLOZE


def test_preview_counts_learners_and_changes_nothing(
    make_quiz: object, clock: FakeClock, tmp_path: Path
) -> None:
    quiz = two_learners_two_days(make_quiz, clock)
    with quiz.store.read() as conn:
        before = card_report(conn, min_reviews=0)
    [preview] = preview_imports(quiz, [edited_tiny(tmp_path)])
    learners = {n.key: (n.change, n.learners) for n in preview.report.changed}
    assert learners == {
        "capital": (Change.EDITED, 2),
        "water": (Change.UNCHANGED, 2),
        "sodium": (Change.EDITED, 2),
        "oxygen": (Change.ADDED, 0),
        "vignette": (Change.RETIRED, 2),
    }
    assert preview.old_types == {
        "capital": NoteType.BASIC,
        "water": NoteType.REVERSED,
        "sodium": NoteType.CLOZE,
        "vignette": NoteType.MCQ,
    }
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
