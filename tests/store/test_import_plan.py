"""Import plans against a deck two learners have studied: what the plan says, card by card,
is what the database holds afterwards (on SQLite and PostgreSQL).

Every case edits a base deck as an instructor would, asserts the plan's words (the lines
`quiz import --dry-run` prints) and then that the import did exactly what the plan says:
kept, moved, reset or fresh progress on each card, history included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from quiz.commands.plan_view import plan_lines, summary, warning_lines
from quiz.decks import DeckError
from quiz.domain.plan import ImportPlan, Outcome
from quiz.services import Quiz
from quiz.services.decks import import_files
from quiz.services.review import ReviewSession
from quiz.store.tables import card_states, cards, notes, review_log
from tests.conftest import FakeClock

BASE = """\
deck: {id: plan, title: Plan deck}
notes:
  - {id: basic1, type: basic, front: "Q1?", back: A1}
  - {id: k, type: basic, front: K front, back: K back}
  - {id: steps, type: cloze, text: "{{c1::alpha}} then {{c2::beta}} then {{c3::gamma}}"}
  - {id: drugs, type: cloze, text: "{{c1::d1}}, {{c2::d2}}, {{c3::d3}}, {{c4::d4}}"}
  - {id: m1, type: basic, front: "M1?", back: m1}
  - {id: m2, type: basic, front: "M2?", back: m2}
  - {id: gone, type: basic, front: "G?", back: g}
  - {id: rev, type: reversed, front: R, back: r}
"""

STEPS = '  - {id: steps, type: cloze, text: "{{c1::alpha}} then {{c2::beta}} then {{c3::gamma}}"}\n'
DRUGS = '  - {id: drugs, type: cloze, text: "{{c1::d1}}, {{c2::d2}}, {{c3::d3}}, {{c4::d4}}"}\n'
K = "  - {id: k, type: basic, front: K front, back: K back}\n"
M12 = (
    '  - {id: m1, type: basic, front: "M1?", back: m1}\n'
    '  - {id: m2, type: basic, front: "M2?", back: m2}\n'
)
GONE = '  - {id: gone, type: basic, front: "G?", back: g}\n'

Progress = tuple[bool, frozenset[tuple[object, ...]], int]
"""A card's (retired, every learner's scheduling state, review-log rows)."""


def progress(quiz: Quiz) -> dict[tuple[str, int], Progress]:
    with quiz.store.read() as conn:
        states: dict[int, set[tuple[object, ...]]] = {}
        for row in conn.execute(select(card_states)):
            states.setdefault(row.card_id, set()).add(
                (row.learner_id, row.ef, row.interval, row.repetitions, row.lapses, row.due)
            )
        logs = dict(
            conn.execute(
                select(review_log.c.card_id, func.count()).group_by(review_log.c.card_id)
            ).all()
        )
        return {
            (key, ord_): (
                retired is not None,
                frozenset(states.get(card_id, ())),
                int(logs.get(card_id, 0)),
            )
            for card_id, key, ord_, retired in conn.execute(
                select(cards.c.id, notes.c.key, cards.c.ord, cards.c.retired_at).join(
                    notes, notes.c.id == cards.c.note_id
                )
            )
        }


def assert_applied(plan: ImportPlan, before: dict[tuple[str, int], Progress], quiz: Quiz) -> None:
    """Each card's progress after the import is what its line in the plan says."""
    after = progress(quiz)
    for c in plan.cards():
        retired, states, logs = after[c.key]
        assert retired == (c.outcome is Outcome.RETIRED), c
        old = before.get(c.key, (False, frozenset(), 0))
        if c.outcome in (Outcome.UNCHANGED, Outcome.EDITED, Outcome.ANSWER_CHANGED):
            assert (states, logs) == old[1:], c
            assert len({s[0] for s in states}) >= c.learners, c
        elif c.outcome is Outcome.MOVED:
            assert c.source is not None
            assert (states, logs) == before[c.source][1:], c
            assert len({s[0] for s in states if s[5] is not None}) == c.learners, c
        elif c.outcome is Outcome.NEW:
            assert (states, logs) == (frozenset(), 0), c
        elif c.outcome is Outcome.RESET:
            # A reset forgets the state; its history stays unless the progress moved away.
            assert states == frozenset(), c
            assert logs == (0 if c.moved_to else old[2]), c
        elif c.outcome is Outcome.RETIRED:
            assert (states, logs) == ((frozenset(), 0) if c.moved_to else old[1:]), c


def study_everything(make_quiz: Callable[..., Quiz], clock: FakeClock, deck: str) -> None:
    """Ann and Bob study day after day until each has answered every card of the deck."""
    learners = [make_quiz("ann"), make_quiz("bob")]
    for _day in range(8):
        for quiz in learners:
            session = ReviewSession.start(quiz, [deck])
            while session.current() is not None:
                session.answer(4)
        clock.advance(days=1)
    total = len(progress(learners[0]))
    with learners[0].store.read() as conn:
        assert conn.execute(select(func.count()).select_from(card_states)).scalar() == 2 * total


@dataclass(frozen=True)
class Case:
    edits: list[Callable[[str], str]]
    lines: list[str]
    """Lines the dry run must print (warnings and plan lines), in this order."""
    summary: str | None = None


def sub(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new)

    return edit


CASES: dict[str, Case] = {
    "text edit": Case(
        [sub('front: "Q1?"', 'front: "Question one?"')],
        [
            "  edited    basic1  (text edited)",
            "      card      edited, same answer; 2 learner(s) keep their progress on the "
            "reworded card",
        ],
        "0 added, 1 edited, 0 reset, 0 moved, 7 unchanged, 0 retired, 0 restored; cards +0 -0",
    ),
    "tag-only edit": Case(
        [sub("back: A1}", "back: A1, tags: [new]}")],
        [
            "  edited    basic1  (tags edited)",
            "      card      unchanged; progress kept for 2 learner(s)",
        ],
    ),
    "answer edit": Case(
        [sub("back: A1}", "back: B1}")],
        [
            "warning: basic1 card: answer changed from 'A1' to 'B1'; 2 learner(s)' progress "
            "stays on a card that now asks something else. Fix: add `reset:` to the note to "
            "restart it, or `from:` on the card that now asks the old answer",
            "  edited    basic1  (text edited)",
            "      card      answer changed: 'A1' -> 'B1'; progress of 2 learner(s) stays on it "
            "(see the warning)",
        ],
        "0 added, 1 edited, 0 reset, 0 moved, 7 unchanged, 0 retired, 0 restored; "
        "cards +0 -0; 1 warning(s)",
    ),
    "type change basic to cloze": Case(
        [sub(K, '  - {id: k, type: cloze, text: "K front: {{c1::K back}}"}\n')],
        [
            "warning: k card: type basic -> cloze; 2 learner(s)' progress stays on the retired "
            "card and does not follow. Fix: add `from: {c1: card}` to note k to carry it",
            "  edited    k  (type basic -> cloze)",
            "      c1        new",
            "      card      retired; history kept; 2 learner(s) had progress",
        ],
    ),
    "type change cloze to basic": Case(
        [sub(STEPS, "  - {id: steps, type: basic, front: First step?, back: alpha}\n")],
        [
            "warning: steps c1: type cloze -> basic; 2 learner(s)' progress stays on the "
            "retired card and does not follow. Fix: add `from: {card: c1}` to note steps to "
            "carry it",
            "  edited    steps  (type cloze -> basic)",
            "      card      new",
            "      c1        retired; history kept; 2 learner(s) had progress",
        ],
    ),
    "cloze renumber": Case(
        [
            sub(
                "{{c2::beta}} then {{c3::gamma}}",
                "{{c2::delta}} then {{c3::beta}} then {{c4::gamma}}",
            )
        ],
        [
            "warning: steps c2: answer changed from 'beta' to 'delta'; 2 learner(s)' progress "
            "stays on a card that now asks something else. Fix: add `reset:` to the note to "
            "restart it, or add `from: {c3: c2}` to note steps to move it",
            "warning: steps c3: answer changed from 'gamma' to 'beta'; 2 learner(s)' progress "
            "stays on a card that now asks something else. Fix: add `reset:` to the note to "
            "restart it, or add `from: {c4: c3}` to note steps to move it",
            "warning: steps: to carry all of it, add `from: {c3: c2, c4: c3}`",
            "  edited    steps  (text edited)",
            "      c1        edited, same answer; 2 learner(s) keep their progress on the "
            "reworded card",
            "      c2        answer changed: 'beta' -> 'delta'; progress of 2 learner(s) stays "
            "on it (see the warning)",
            "      c4        new",
        ],
    ),
    "cloze added": Case(
        [sub("{{c3::gamma}}", "{{c3::gamma}} and {{c4::omega}}")],
        ["  edited    steps  (text edited)", "      c4        new"],
    ),
    "cloze removed": Case(
        [sub(" then {{c3::gamma}}", "")],
        [
            "warning: steps c3: card removed; 2 learner(s)' progress stays on the retired card "
            "and does not follow. If its fact is now asked by another card, carry it with "
            "`from:` there",
            "      c3        retired; history kept; 2 learner(s) had progress",
        ],
    ),
    "note split": Case(
        [
            sub(
                DRUGS,
                '  - {id: drugs, type: cloze, text: "{{c1::d1}}, {{c2::d2}}"}\n'
                '  - {id: drugs-other, type: cloze, text: "{{c1::d3}} and {{c2::d4}}"}\n',
            )
        ],
        [
            "warning: drugs c3: card removed; 2 learner(s)' progress stays on the retired card "
            "and does not follow. Fix: add `from: {c1: drugs:c3}` to note drugs-other to carry it",
            "warning: drugs c4: card removed; 2 learner(s)' progress stays on the retired card "
            "and does not follow. Fix: add `from: {c2: drugs:c4}` to note drugs-other to carry it",
            "  added     drugs-other  (2 cards (c1, c2))",
        ],
    ),
    "notes merged": Case(
        [sub(M12, '  - {id: m, type: cloze, text: "{{c1::m1}} and {{c2::m2}}"}\n')],
        [
            "  added     m  (2 cards (c1, c2))",
            "  retired   m1  (1 card leaves review)",
            "      card      retired; history kept; 2 learner(s) had progress",
        ],
    ),
    "note deleted and restored with an edit": Case(
        [
            sub(GONE, ""),
            lambda text: text + '  - {id: gone, type: basic, front: "Gee?", back: g}\n',
        ],
        [
            "  restored  gone  (text edited)",
            "      card      restored, edited, same answer; 2 learner(s) keep their progress on "
            "the reworded card",
        ],
        "0 added, 0 edited, 0 reset, 0 moved, 7 unchanged, 0 retired, 1 restored; cards +1 -0",
    ),
    "reset": Case(
        [sub("back: A1}", "back: A1, reset: v1}")],
        [
            "  reset     basic1  (`reset` changed)",
            "      card      progress reset for 2 learner(s)",
        ],
        "0 added, 0 edited, 1 reset, 0 moved, 7 unchanged, 0 retired, 0 restored; cards +0 -0",
    ),
    "move: renumbered cloze": Case(
        [
            sub(
                STEPS,
                "  - id: steps\n    type: cloze\n"
                '    text: "{{c1::alpha}} then {{c2::delta}} then {{c3::beta}} then '
                '{{c4::gamma}}"\n'
                "    from: {c3: c2, c4: c3}\n",
            )
        ],
        [
            "  edited    steps  (text edited; `from` declared)",
            "      c2        starts new; progress of 2 learner(s) moves to steps:c3",
            "      c3        moved from steps:c2; progress of 2 learner(s) moves with it",
            "      c4        moved from steps:c3; progress of 2 learner(s) moves with it",
        ],
        "0 added, 1 edited, 0 reset, 0 moved, 7 unchanged, 0 retired, 0 restored; "
        "cards +1 -0, 2 moved",
    ),
    "move: basic to cloze": Case(
        [sub(K, '  - {id: k, type: cloze, text: "K front: {{c1::K back}}", from: {c1: card}}\n')],
        [
            "  edited    k  (type basic -> cloze; `from` declared)",
            "      c1        moved from k:card; progress of 2 learner(s) moves with it",
            "      card      retired; progress and history moved to k:c1",
        ],
    ),
    "move: cloze to basic": Case(
        [sub(STEPS, "  - {id: steps, type: basic, front: First step?, back: alpha, from: c1}\n")],
        ["      card      moved from steps:c1; progress of 2 learner(s) moves with it"],
    ),
    "move: split note": Case(
        [
            sub(
                DRUGS,
                '  - {id: drugs, type: cloze, text: "{{c1::d1}}, {{c2::d2}}"}\n'
                '  - {id: drugs-other, type: cloze, text: "{{c1::d3}} and {{c2::d4}}",'
                " from: {c1: drugs:c3, c2: drugs:c4}}\n",
            )
        ],
        [
            "  edited    drugs  (text edited)",
            "      c3        retired; progress and history moved to drugs-other:c1",
            "  added     drugs-other  (2 cards (c1, c2))",
            "      c1        moved from drugs:c3; progress of 2 learner(s) moves with it",
        ],
    ),
    "move: merged notes": Case(
        [
            sub(
                M12,
                '  - {id: m, type: cloze, text: "{{c1::m1}} and {{c2::m2}}",'
                " from: {c1: m1, c2: m2}}\n",
            )
        ],
        [
            "  added     m  (2 cards (c1, c2))",
            "      c1        moved from m1:card; progress of 2 learner(s) moves with it",
            "      c2        moved from m2:card; progress of 2 learner(s) moves with it",
            "  retired   m1  (1 card leaves review)",
            "      card      retired; progress and history moved to m:c1",
        ],
    ),
    "move: renamed note": Case(
        [sub("{id: rev, type: reversed,", "{id: rev2, from: rev, type: reversed,")],
        [
            "  added     rev2  (2 cards (forward, reverse))",
            "      forward   moved from rev:forward; progress of 2 learner(s) moves with it",
            "      reverse   moved from rev:reverse; progress of 2 learner(s) moves with it",
        ],
    ),
    "move: swapped cloze numbers": Case(
        [
            sub(
                STEPS,
                '  - {id: steps, type: cloze, text: "{{c2::alpha}} then {{c1::beta}} then '
                '{{c3::gamma}}", from: {c1: c2, c2: c1}}\n',
            )
        ],
        [
            "      c1        moved from steps:c2; progress of 2 learner(s) moves with it",
            "      c2        moved from steps:c1; progress of 2 learner(s) moves with it",
        ],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_plan_says_what_the_import_does(
    name: str, make_quiz: Callable[..., Quiz], clock: FakeClock, tmp_path: Path
) -> None:
    case = CASES[name]
    quiz = make_quiz("ann")
    path = tmp_path / "plan.yaml"
    path.write_text(BASE)
    import_files(quiz, [path])
    study_everything(make_quiz, clock, "plan")
    text = BASE
    for step in case.edits:
        text = step(text)
        path.write_text(text)
        before = progress(quiz)
        [dry] = import_files(quiz, [path], dry_run=True)
        assert progress(quiz) == before  # a dry run writes nothing
        [plan] = import_files(quiz, [path])
        assert plan == dry  # the dry run printed the very plan the import applied
        assert_applied(plan, before, quiz)
    printed = [*warning_lines(plan), *plan_lines(plan, learners=True)]
    positions = [printed.index(line) if line in printed else -1 for line in case.lines]
    assert -1 not in positions, "\n".join(printed)
    assert positions == sorted(positions), "\n".join(printed)
    if case.summary is not None:
        assert summary(plan) == case.summary
    # Every note the header counts as changed has a line, and every line is counted.
    listed = [line for line in printed if line.startswith("  ") and not line.startswith("    ")]
    assert len(listed) == len(plan.changed)
    # Importing the same file again changes nothing: a declared move is applied once.
    settled = progress(quiz)
    [again] = import_files(quiz, [path], force=True)
    assert again.changed == [] and progress(quiz) == settled


def test_a_move_from_a_card_the_deck_never_had_imports_nothing(
    quiz: Quiz, tmp_path: Path
) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(BASE)
    import_files(quiz, [path])
    path.write_text(
        BASE.replace(K, '  - {id: k, type: cloze, text: "{{c1::K back}}", from: {c1: kk}}\n')
    )
    with pytest.raises(DeckError) as info:
        import_files(quiz, [path])
    [problem] = info.value.diagnostics
    assert problem.line == 4
    assert problem.message == "from: 'kk': no note 'kk' in the previous version of deck 'plan'"
    path.write_text(BASE.replace(K, K.replace("}", ", from: {card: drugs:c9}}")))
    with pytest.raises(DeckError, match=r"note 'drugs' had no card 'c9' \(c1, c2, c3, c4\)"):
        import_files(quiz, [path])
