"""Item-writing warnings of `quiz check`: each with a deck that triggers it and one that doesn't."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from quiz.decks.item_rules import content_stems, hint_shares_answer, is_circular, stem
from quiz.decks.loader import check_deck

HEADER = """\
deck:
  id: d
  title: D
  sources: [{id: book, title: The Book}]
notes:
"""


def messages(tmp_path: Path, notes: str) -> list[str]:
    path = tmp_path / "d.yaml"
    path.write_text(HEADER + textwrap.dedent(notes), encoding="utf-8")
    return [f"{d.line}:{d.column}: {d.path}: {d.message}" for d in check_deck(path)]


# ---------------------------------------------------------------- cloze hints


def test_a_hint_sharing_a_stem_with_its_answer_is_reported(tmp_path: Path) -> None:
    found = messages(
        tmp_path,
        """\
        - id: c
          type: cloze
          text: "High calcium occurs in {{c1::hypervitaminosis D::vitamin excess}}."
          source: {id: book}
          extra: Excess vitamin D raises calcium absorption from the gut.
        """,
    )
    assert found == [
        "8:3: notes[0](c).text: the hint 'vitamin excess' of c1 shares a word with its "
        "answer 'hypervitaminosis D'; use a neutral hint (or none)"
    ]


def test_a_neutral_hint_is_not_reported(tmp_path: Path) -> None:
    found = messages(
        tmp_path,
        """\
        - id: c
          type: cloze
          text: "High calcium occurs in {{c1::hypervitaminosis D::condition}}."
          source: {id: book}
          extra: Excess vitamin D raises calcium absorption from the gut.
        """,
    )
    assert found == []


@pytest.mark.parametrize(
    ("hint", "answer", "shares"),
    [
        ("vitamin excess", "hypervitaminosis D", True),
        ("which tissue?", "fatty tissue", True),
        ("eponymous inflammatory bowel disease", "Crohn's disease", True),
        ("multisystem autoimmune disease", "systemic lupus erythematosus", True),
        ("factors", "risk factor", True),
        ("drug class", "Bisphosphonates", False),
        ("bile duct cancer", "cholangiocarcinoma", False),
        ("organ", "breast", False),
    ],
)
def test_hint_sharing(hint: str, answer: str, shares: bool) -> None:
    assert hint_shares_answer(hint, answer) is shares


# ---------------------------------------------------------------- answer words in the question


def test_a_basic_answer_repeating_a_question_word_is_reported(tmp_path: Path) -> None:
    found = messages(
        tmp_path,
        """\
        - id: b
          type: basic
          front: Which kind of phosphate binder is a risk factor?
          back: Calcium-based binders
          source: {id: book}
          extra: They add calcium to a disturbed mineral balance.
        """,
    )
    assert found == [
        "9:3: notes[0](b).back: the answer repeats 'binder' from the front; a word shared "
        "with the question cues the answer, so drop or rephrase it"
    ]


def test_a_reversed_front_repeated_in_the_back_is_reported_for_the_reverse_card(
    tmp_path: Path,
) -> None:
    found = messages(
        tmp_path,
        """\
        - id: r
          type: reversed
          front: Hungry bone syndrome
          back: Low calcium after parathyroidectomy as bone takes up calcium
          source: {id: book}
          extra: Falling parathyroid hormone lets the skeleton remineralise quickly.
        """,
    )
    assert [m.split(": ", 2)[1] for m in found] == ["notes[0](r).front", "notes[0](r).back"]
    assert "reverse card" in found[0]


def test_an_answer_in_other_words_is_not_reported(tmp_path: Path) -> None:
    found = messages(
        tmp_path,
        """\
        - id: b
          type: basic
          front: Which kind of phosphate binder is a risk factor?
          back: Calcium-based ones
          source: {id: book}
          extra: They add calcium to a disturbed mineral balance.
        """,
    )
    assert found == []


MCQ = """\
- id: m
  type: mcq
  stem: A man on dialysis starts sodium thiosulfate; his bicarbonate falls with a high anion gap.
  question: What is the most likely cause?
  options:
    - {text: "%s", correct: true, explanation: It is a recognised adverse effect.}
    - {text: "%s", explanation: Lactate is normal.}
    - {text: Diabetic ketoacidosis, explanation: No ketones.}
  source: {id: book}
  extra: Thiosulfate is thought to generate acid anions that lower bicarbonate.
"""


def test_an_mcq_whose_answer_alone_echoes_the_stem_is_reported(tmp_path: Path) -> None:
    found = messages(tmp_path, MCQ % ("Adverse effect of sodium thiosulfate", "Lactic acidosis"))
    assert len(found) == 1
    assert "the correct option shares 'sodium', 'thiosulfate' with the stem" in found[0]
    assert found[0].startswith("11:8: notes[0](m).options[0].text")


def test_an_mcq_echo_shared_by_a_distractor_is_not_a_cue(tmp_path: Path) -> None:
    found = messages(
        tmp_path,
        MCQ % ("Adverse effect of sodium thiosulfate", "Sodium bicarbonate loss"),
    )
    assert found == []


# ---------------------------------------------------------------- absolute words


def test_an_mcq_option_with_an_absolute_word_is_reported(tmp_path: Path) -> None:
    found = messages(tmp_path, MCQ % ("A drug adverse effect", "Calcium always recovers alone"))
    assert len(found) == 1
    assert found[0].startswith("12:8: notes[0](m).options[1].text: option b uses")
    assert "always" in found[0]


def test_an_mcq_without_absolute_words_is_not_reported(tmp_path: Path) -> None:
    assert messages(tmp_path, MCQ % ("A drug adverse effect", "Lactic acidosis")) == []


# ---------------------------------------------------------------- circular extras


def test_an_extra_that_restates_the_front_is_reported(tmp_path: Path) -> None:
    found = messages(
        tmp_path,
        """\
        - id: c
          type: cloze
          text: "Systemic {{c1::steroids}} are a risk factor for calciphylaxis."
          source: {id: book}
          extra: They are one of the listed risk factors.
        """,
    )
    assert found == [
        "10:3: notes[0](c).extra: the extra only restates the question and answer; say why "
        "the answer is true (a mechanism, a contrast, a consequence)"
    ]


def test_an_extra_that_explains_is_not_reported(tmp_path: Path) -> None:
    found = messages(
        tmp_path,
        """\
        - id: c
          type: cloze
          text: "Systemic {{c1::steroids}} are a risk factor for calciphylaxis."
          source: {id: book}
          extra: An association; the mechanism is unknown.
        """,
    )
    assert found == []


def test_stems_and_circularity_helpers() -> None:
    assert stem("factors") == stem("factor")
    assert stem("calcify") != stem("calcium")
    assert "with" not in content_stems("with the drug")
    assert is_circular("It is a listed risk factor.", "Steroids are a risk factor")
    assert not is_circular("Steroids thin the skin.", "Steroids are a risk factor")
