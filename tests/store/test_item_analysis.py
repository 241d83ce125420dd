"""Item analysis on a simulated class: a miskeyed and an ambiguous question come out on top."""

from __future__ import annotations

import json
import random
from datetime import UTC
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quiz.domain.grading import AGAIN_QUALITY, GOOD_QUALITY
from quiz.domain.items import NEAR_ZERO, Issue, OptionInfo, Response, analyse
from quiz.services import Quiz
from quiz.services.decks import import_files
from quiz.services.report import card_report
from quiz.services.review import ReviewSession
from tests.conftest import FakeClock

ITEMS = 10
MISKEYED = "q3"
"""The deck marks option a correct; the truth is b, which able learners choose."""

AMBIGUOUS = "q6"
"""Two options are defensible: able learners split between the key a and the rival b."""

CLASS = 40


def class_deck(tmp_path: Path) -> Path:
    lines = ["deck: {id: exam, title: Exam}", "notes:"]
    for i in range(ITEMS):
        lines += [
            f"  - id: q{i}",
            "    type: mcq",
            f"    stem: Vignette number {i} describes a patient.",
            "    options:",
            f"      - {{text: Key {i}, correct: true, explanation: right}}",
            f"      - {{text: Rival {i}, explanation: wrong}}",
            f"      - {{text: Other {i}, explanation: wrong}}",
            f"      - {{text: Fourth {i}, explanation: wrong}}",
        ]
    path = tmp_path / "exam.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def pick(rng: random.Random, note: str, ability: float) -> str:
    """Which option (by text) a learner of this ability chooses on this item."""
    i = note[1:]
    knows = rng.random() < ability
    distractors = [f"Rival {i}", f"Other {i}", f"Fourth {i}"]
    if note == MISKEYED:
        truth_first = [f"Rival {i}", f"Key {i}", f"Other {i}", f"Fourth {i}"]
        return truth_first[0] if knows else rng.choice(truth_first[1:])
    if note == AMBIGUOUS:
        # Able learners see why the rival is defensible and split towards it; weak ones
        # take the key, which looks like the textbook answer.
        if knows:
            return f"Rival {i}" if rng.random() < 0.6 else f"Key {i}"
        return f"Key {i}" if rng.random() < 0.5 else rng.choice(distractors)
    return f"Key {i}" if knows else rng.choice(distractors)


def simulate(db_url: str, deck: Path, clock: FakeClock) -> Quiz:
    rng = random.Random(20261206)
    instructor = Quiz.open(db_url, learner="instructor", clock=clock, tz=UTC)
    import_files(instructor, [deck])
    for n in range(CLASS):
        ability = 0.1 + 0.85 * n / (CLASS - 1)
        quiz = Quiz.open(db_url, learner=f"student{n:02d}", clock=clock, tz=UTC)
        try:
            session = ReviewSession.start(quiz)
            while (card := session.current()) is not None and not card.repeat:
                chosen = pick(rng, card.info.note_key, ability)
                option = next(o for o in card.info.face.options if o.text == chosen)
                quality = GOOD_QUALITY if option.correct else AGAIN_QUALITY
                session.answer(quality, 1000, option.id)
        finally:
            quiz.close()
    return instructor


@pytest.fixture
def exam(db_url: str, tmp_path: Path, clock: FakeClock) -> Quiz:
    quiz = simulate(db_url, class_deck(tmp_path), clock)
    yield quiz  # type: ignore[misc]
    quiz.close()


def test_the_miskeyed_and_the_ambiguous_item_are_flagged_at_the_top(exam: Quiz) -> None:
    with exam.store.read() as conn:
        rows = card_report(conn)
    assert len(rows) == ITEMS
    assert {rows[0].note, rows[1].note} == {MISKEYED, AMBIGUOUS}
    by_note = {r.note: r for r in rows}
    miskeyed = by_note[MISKEYED]
    assert miskeyed.items is not None and miskeyed.items.n == CLASS
    assert miskeyed.findings[0].issue is Issue.MISKEY
    assert "b (Rival 3)" in miskeyed.findings[0].text
    assert miskeyed.items.r_pb is not None and miskeyed.items.r_pb < 0
    ambiguous = by_note[AMBIGUOUS].items
    assert ambiguous is not None and ambiguous.r_pb is not None and ambiguous.r_pb < 0.10
    assert by_note[AMBIGUOUS].findings[0].issue <= Issue.NEAR_ZERO
    # The sound items discriminate (with the noise of 40 learners and 9 other items in
    # the rest-score) and raise no flag.
    sound = [r.items.r_pb for r in rows[2:] if r.items is not None and r.items.r_pb is not None]
    assert len(sound) == ITEMS - 2 and min(sound) > NEAR_ZERO
    assert sum(sound) / len(sound) > 0.2
    assert all(r.findings == () for r in rows[2:]), [(r.note, r.findings) for r in rows[2:]]
    # The distractor table counts each option by identity, and the groups are 27% of 40.
    table = {c.text: c for c in miskeyed.items.choices}
    assert miskeyed.items.group_size == 11
    assert table["Rival 3"].upper > table["Key 3"].upper
    assert table["Rival 3"].upper > table["Rival 3"].lower
    assert sum(c.all for c in miskeyed.items.choices) == CLASS


def test_point_biserial_and_upper_lower_index_by_hand() -> None:
    # Five learners, three items. Item 0 scores 1,1,1,0,0; their rest-scores (items 1, 2)
    # are 1, 1, 0.5, 0.5, 0.
    scores = {
        1: (1, 1, 1),
        2: (1, 1, 1),
        3: (1, 1, 0),
        4: (0, 0, 1),
        5: (0, 0, 0),
    }
    responses = [
        Response(learner, item, bool(score))
        for learner, row in scores.items()
        for item, score in enumerate(row)
    ]
    stats = analyse(responses)[0]
    assert (stats.n, stats.correct, stats.p) == (5, 3, 0.6)
    # r_pb = (M1 - M0) / s * sqrt(p q): M1 = 2.5/3, M0 = 0.25, s = sqrt(0.14), p = 0.6
    m1, m0, s = 2.5 / 3, 0.25, 0.14**0.5
    assert stats.r_pb == pytest.approx((m1 - m0) / s * (0.6 * 0.4) ** 0.5)
    # 27% of 5 rounds to 1 learner per group: the best (learner 1) and the worst (5).
    assert stats.group_size == 1 and stats.d == 1.0
    assert stats.findings == ()  # n = 5: too few to flag
    assert stats.caveat == "n=5 < 10: too few to judge"


def test_distractors_dead_and_unknown_options_and_no_pick() -> None:
    options = {0: [OptionInfo("k", "Key", True), OptionInfo("x", "X", False),
                   OptionInfo("dead", "Dead", False)]}  # fmt: skip
    responses = [Response(i, 0, i % 2 == 0, "k" if i % 2 == 0 else "x") for i in range(18)]
    responses += [Response(18, 0, False, "gone"), Response(19, 0, False, None)]
    stats = analyse(responses, options)[0]
    assert [(c.label, c.text, c.all) for c in stats.choices] == [
        ("a", "Key", 9),
        ("b", "X", 9),
        ("c", "Dead", 0),
        ("-", "(an option no longer in the deck)", 1),
        ("-", "(answer shown without a pick)", 1),
    ]
    assert [f.issue for f in stats.findings] == [Issue.DEAD_DISTRACTOR]
    assert stats.findings[0].text == "dead distractor(s): c"


def test_report_json_carries_the_indices_and_the_distractor_table(exam: Quiz, db_url: str) -> None:
    from click.testing import CliRunner

    from quiz.cli import cli

    result = CliRunner().invoke(
        cli, ["--db", db_url, "--learner", "instructor", "report", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    first = data["items"][0]
    assert first["note"] in (MISKEYED, AMBIGUOUS)
    item = next(i for i in data["items"] if i["note"] == MISKEYED)
    assert item["n"] == CLASS and 0 < item["p"] < 1
    assert item["discrimination"]["point_biserial"] < 0
    assert item["discrimination"]["upper_lower"] < 0
    assert item["flags"][0]["issue"] == "miskey"
    assert {c["text"] for c in item["distractors"]} >= {"Key 3", "Rival 3"}
    assert {"option", "label", "key", "all", "upper", "lower"} <= set(item["distractors"][0])


@given(
    st.lists(
        st.tuples(st.integers(0, 15), st.integers(0, 4), st.sampled_from(["k", "x", "y", None])),
        max_size=120,
        unique_by=lambda t: (t[0], t[1]),
    )
)
def test_indices_stay_in_range_and_tables_count_every_attempt(
    rows: list[tuple[int, int, str | None]],
) -> None:
    options = [OptionInfo("k", "Key", True), OptionInfo("x", "X", False)]
    responses = [Response(learner, item, option == "k", option) for learner, item, option in rows]
    found = analyse(responses, dict.fromkeys(range(5), options))
    assert sum(s.n for s in found.values()) == len(responses)
    for s in found.values():
        assert s.p is not None and 0 <= s.p <= 1
        assert s.r_pb is None or -1 <= s.r_pb <= 1
        assert s.d is None or -1 <= s.d <= 1
        assert 2 * s.group_size <= s.n
        assert sum(c.all for c in s.choices) == s.n
        assert sum(c.upper for c in s.choices) == s.group_size
        assert sum(c.lower for c in s.choices) == s.group_size
        if s.n < 10:
            assert s.findings == ()
