"""Deck lint: each warning `quiz check` gives, with its line, column and key path."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

from quiz.decks.diagnostics import Severity
from quiz.decks.lint import MAX_ANSWER_CHARS, MAX_FRONT_CHARS, lint
from quiz.decks.loader import check_deck, load_deck
from quiz.decks.yamlnodes import parse
from tests.conftest import TINY

HEADER = """\
deck:
  id: d
  title: D
  sources: [{id: book, title: The Book}]
notes:
"""
"""Five lines: the first note starts on line 6."""


def write(tmp_path: Path, notes: str, header: str = HEADER) -> Path:
    path = tmp_path / "d.yaml"
    path.write_text(header + textwrap.dedent(notes), encoding="utf-8")
    return path


def warnings(path: Path) -> list[str]:
    found = check_deck(path)
    assert all(d.severity is Severity.WARNING for d in found), found
    return [f"{d.line}:{d.column}: {d.path}: {d.message}" for d in found]


def test_a_clean_deck_has_no_warnings() -> None:
    assert check_deck(TINY) == []
    assert load_deck(TINY).located is not None


def test_basic_answer_in_its_front_is_reported_at_the_back(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        - id: a
          type: basic
          front: Is the capital of France PARIS or Lyon?
          back: Paris
          source: {id: book}
        """,
    )
    assert warnings(path) == [
        "9:3: notes[0](a).back: the answer 'Paris' appears in the front",
    ]


def test_answers_match_whole_words_only_and_one_letter_answers_are_skipped(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        """\
        - {id: a, type: basic, front: Name the cation, back: Na, source: {id: book}}
        - {id: b, type: basic, front: Is it a vitamin?, back: A, source: {id: book}}
        - {id: c, type: basic, front: "Which ion: Na or K?", back: "Na.", source: {id: book}}
        """,
    )
    assert warnings(path) == ["8:54: notes[2](c).back: the answer 'Na.' appears in the front"]


def test_reversed_front_in_back_is_the_reverse_cards_giveaway(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        - id: r
          type: reversed
          front: Calciphylaxis
          back: Calcific uremic arteriolopathy (calciphylaxis)
          source: {id: book}
        """,
    )
    assert warnings(path) == [
        "8:3: notes[0](r).front: the front 'Calciphylaxis' appears in the back, "
        "which is the question of the reverse card"
    ]


def test_cloze_answer_shown_elsewhere_in_its_card(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        - id: plain
          type: cloze
          text: "{{c1::Warfarin}} promotes calciphylaxis; stop warfarin."
          source: {id: book}
        - id: hint
          type: cloze
          text: "The antidote is {{c1::vitamin K::vitamin K}}."
          source: {id: book}
        - id: other-number
          type: cloze
          text: "{{c1::Sodium thiosulfate}} is given IV; {{c2::sodium thiosulfate}} chelates."
          source: {id: book}
        - id: same-number
          type: cloze
          text: "{{c1::Fentanyl}} and {{c1::fentanyl}} patches."
          source: {id: book}
        """,
    )
    assert warnings(path) == [
        "8:3: notes[0](plain).text: the answer 'Warfarin' of c1 also appears in that card's "
        "question (in the text, another deletion or its hint)",
        "12:3: notes[1](hint).text: the answer 'vitamin K' of c1 also appears in that card's "
        "question (in the text, another deletion or its hint)",
        "16:3: notes[2](other-number).text: the answer 'Sodium thiosulfate' of c1 also appears "
        "in that card's question (in the text, another deletion or its hint)",
        "16:3: notes[2](other-number).text: the answer 'sodium thiosulfate' of c2 also appears "
        "in that card's question (in the text, another deletion or its hint)",
    ]


def test_mcq_best_answer_alone_in_the_stem_is_a_giveaway_but_a_listed_one_is_not(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        """\
        - id: giveaway
          type: mcq
          stem: A dialysis patient with painful plaques; calciphylaxis is suspected.
          question: What is the most likely diagnosis?
          source: {id: book}
          options:
            - {text: Calciphylaxis, correct: true, explanation: Yes.}
            - {text: Cellulitis, explanation: No.}
        - id: listed
          type: mcq
          stem: She takes warfarin, amlodipine and omeprazole.
          question: Which medicine should be stopped?
          source: {id: book}
          options:
            - {text: Warfarin, correct: true, explanation: Vitamin K antagonist.}
            - {text: Amlodipine, explanation: Not a risk factor.}
            - {text: Omeprazole, explanation: Not a risk factor.}
        """,
    )
    assert warnings(path) == [
        "12:8: notes[0](giveaway).options[0].text: the correct option 'Calciphylaxis' appears "
        "in the stem or question (and no other option does)"
    ]


def test_mcq_repeated_options_ignore_case_and_punctuation(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        - id: m
          type: mcq
          stem: A vignette.
          source: {id: book}
          options:
            - {text: Sodium thiosulfate, correct: true, explanation: Yes.}
            - {text: Cinacalcet, explanation: No.}
            - {text: "sodium  thiosulfate.", explanation: Again.}
        """,
    )
    assert warnings(path) == [
        "13:8: notes[0](m).options[2].text: option c repeats option a ('sodium  thiosulfate.')"
    ]


def test_cloze_numbering_gaps(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        - id: gap
          type: cloze
          text: "{{c1::Pain}} is severe and {{c4::livedo}} is common."
          source: {id: book}
        """,
    )
    assert warnings(path) == [
        "8:3: notes[0](gap).text: cloze numbering skips c2, c3 (uses c1, c4); "
        "number the deletions c1, c2, ... without gaps"
    ]


def test_duplicate_fronts_ignore_case_punctuation_and_spacing(tmp_path: Path) -> None:
    header = HEADER.replace("{id: book, title: The Book}", "{id: x, title: X}")
    path = write(
        tmp_path,
        """\
        - {id: a, type: basic, front: Which opioid is preferred?, back: Fentanyl, source: {id: x}}
        - {id: b, type: basic, front: "which  OPIOID is preferred", back: B, source: {id: x}}
        - {id: c, type: cloze, text: "{{c1::Which}} opioid is preferred?", source: {id: x}}
        """,
        header=header,
    )
    assert warnings(path) == [
        "7:24: notes[1](b).front: same front as notes[0](a) at line 6 (ignoring case and "
        "punctuation); merge them or make the questions distinct",
        "8:24: notes[2](c).text: same front as notes[0](a) at line 6 (ignoring case and "
        "punctuation); merge them or make the questions distinct",
    ]


def test_near_duplicate_fronts_name_the_most_similar_earlier_note(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        - id: a
          type: basic
          front: Which opioids are preferred for calciphylaxis pain?
          back: Fentanyl and methadone
          source: {id: book}
        - id: b
          type: basic
          front: Which opioid is preferred for calciphylaxis pain?
          back: Fentanyl
          source: {id: book}
        - id: c
          type: basic
          front: Which antibiotic is preferred for calciphylaxis wounds?
          back: It depends
          source: {id: book}
        """,
    )
    assert warnings(path) == [
        "13:3: notes[1](b).front: front is 93% similar to notes[0](a) at line 6; "
        "a near-duplicate teaches the same fact twice"
    ]


def test_near_duplicates_are_found_among_thousands_of_notes_at_either_end() -> None:
    # Sorted-neighbour comparison must still find an edit at the start and one at the end.
    def front(i: int) -> str:
        return " ".join(hashlib.sha256(f"{i}/{k}".encode()).hexdigest()[:7] for k in range(6))

    lines = [HEADER.rstrip("\n")]
    lines += [
        f"  - {{id: n{i}, type: basic, front: '{front(i)}', back: a, source: {{id: book}}}}"
        for i in range(3000)
    ]
    edits = {"end-edit": front(10)[:-2] + "zz", "start-edit": "zz" + front(20)[2:]}
    lines += [
        f"  - {{id: {key}, type: basic, front: '{text}', back: a, source: {{id: book}}}}"
        for key, text in edits.items()
    ]
    found = lint(parse("\n".join(lines) + "\n"), "big.yaml")
    similar = "front is 95% similar to notes[{0}](n{0}) at line {1}"
    assert [(d.line, d.path, d.message.split(";")[0]) for d in found] == [
        (3006, "notes[3000](end-edit).front", similar.format(10, 16)),
        (3007, "notes[3001](start-edit).front", similar.format(20, 26)),
    ]


def test_notes_without_a_source_or_with_an_unknown_one(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        - {id: a, type: basic, front: q1, back: a1}
        - {id: b, type: basic, front: q2, back: a2, source: {id: missing}}
        """,
    )
    assert warnings(path) == [
        "6:3: notes[0](a): has no source; cite one of deck.sources (book) with `source: {id: ...}`",
        # the loader's own warning, given once although lint checks it too
        "7:54: notes[1](b).source: unknown source id 'missing'; declare it under deck.sources",
    ]


def test_a_deck_without_sources_is_told_to_declare_them(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "- {id: a, type: basic, front: q1, back: a1}\n",
        header="deck: {id: d, title: D}\nnotes:\n",
    )
    assert warnings(path) == [
        "3:3: notes[0](a): has no source; declare it under deck.sources and cite it with "
        "`source: {id: ...}`"
    ]


def test_long_fronts_and_answers_but_not_long_vignettes(tmp_path: Path) -> None:
    long_front = "word " * (MAX_FRONT_CHARS // 5) + "end?"
    long_back = "x" * (MAX_ANSWER_CHARS + 1)
    just_right = "y" * MAX_ANSWER_CHARS
    vignette = "A patient. " * 100
    path = write(
        tmp_path,
        f"""\
        - {{id: a, type: basic, front: '{long_front}', back: '{long_back}', source: {{id: book}}}}
        - {{id: b, type: basic, front: q, back: '{just_right}', source: {{id: book}}}}
        - id: v
          type: mcq
          stem: '{vignette}'
          source: {{id: book}}
          options:
            - {{text: '{long_back}', correct: true, explanation: e}}
            - {{text: Other, explanation: e}}
        """,
    )
    back_column = len(f"- {{id: a, type: basic, front: '{long_front}', ") + 1
    assert warnings(path) == [
        f"6:24: notes[0](a).front: front is {len(long_front)} characters (over 300); split the "
        "fact into smaller notes or move detail to `extra`",
        f"6:{back_column}: notes[0](a).back: answer is 301 characters (over 300); "
        "split the fact into smaller notes or move detail to `extra`",
        "13:8: notes[2](v).options[0].text: option a is 301 characters (over 300); split the "
        "fact into smaller notes or move detail to `extra`",
    ]


def test_tags_outside_the_declared_vocabulary(tmp_path: Path) -> None:
    header = HEADER.replace("notes:", "  tags: [treatment::pain, diagnosis::biopsy]\nnotes:")
    path = write(
        tmp_path,
        """\
        - id: a
          type: basic
          front: q
          back: a
          source: {id: book}
          tags: [treatment::pain, treatment, treatment::pian, unrelated]
        """,
        header=header,
    )
    assert warnings(path) == [
        "12:38: notes[0](a).tags[2]: tag 'treatment::pian' is not in deck.tags; "
        "did you mean 'treatment::pain'?",
        "12:55: notes[0](a).tags[3]: tag 'unrelated' is not in deck.tags; add it there or fix it",
    ]


def test_tags_are_free_when_the_deck_declares_none(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "- {id: a, type: basic, front: q, back: a, tags: [any::thing], source: {id: book}}\n",
    )
    assert warnings(path) == []


def test_a_file_with_errors_gets_its_warnings_in_the_same_run(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        - {id: a, type: basic, front: q, back: a}
        - {id: b, type: basic, front: q}
        """,
    )
    found = [(d.line, d.severity, d.message) for d in check_deck(path)]
    assert found == [
        (
            6,
            Severity.WARNING,
            "has no source; cite one of deck.sources (book) with `source: {id: ...}`",
        ),
        (7, Severity.ERROR, "missing required key `back`"),
        (
            7,
            Severity.WARNING,
            "has no source; cite one of deck.sources (book) with `source: {id: ...}`",
        ),
        (
            7,
            Severity.WARNING,
            "same front as notes[0](a) at line 6 (ignoring case and "
            "punctuation); merge them or make the questions distinct",
        ),
    ]


def test_a_file_that_is_not_yaml_gets_only_its_syntax_error(tmp_path: Path) -> None:
    path = write(tmp_path, "- {id: a, type: basic\n")
    [only] = check_deck(path)
    assert only.severity is Severity.ERROR
    assert "YAML syntax" in only.message


STEMS = [
    "Which drug treats calciphylaxis pain?",
    "A dialysis patient has livedo; what next?",
    "What does a skin biopsy show?",
    "Which lab value is the strongest risk?",
    "How is wound care managed here?",
    "Who should see this patient first?",
    "When is hyperbaric oxygen considered?",
    "What imaging finding is typical?",
    "Why is warfarin stopped?",
    "Where do proximal lesions appear?",
]


def mcqs(keys: str) -> str:
    """One MCQ per letter, each with its key at that letter's position."""
    out = []
    for i, key in enumerate(keys):
        options = "".join(
            f"      - {{text: option {i} {letter}, explanation: e"
            + (", correct: true}" if letter == key else "}")
            + "\n"
            for letter in "abcd"
        )
        out.append(
            f"- id: q{i}\n  type: mcq\n  stem: {STEMS[i]}\n"
            f"  options:\n{options.replace('      - ', '    - ')}"
            "  source: {id: book}\n"
        )
    return "".join(out)


def test_correct_options_clustered_at_one_position(tmp_path: Path) -> None:
    # 3 of 5 keys at a is 60%, over the 40% rule: one warning, at the first such key.
    path = write(tmp_path, mcqs("aabac"))
    found = warnings(path)
    assert len(found) == 1, found
    assert found[0].startswith("10:7: notes[0](q0).options[0]: 3 of 5 multiple-choice questions")
    assert "at a (a 3, b 1, c 1)" in found[0]
    assert "more than 40% at one position" in found[0]


def test_key_positions_within_the_rule_or_too_few_questions(tmp_path: Path) -> None:
    assert warnings(write(tmp_path, mcqs("aabbc"))) == []  # 2 of 5 is exactly 40%
    assert warnings(write(tmp_path, mcqs("aaaa"))) == []  # 4 questions: too few to judge
    assert warnings(write(tmp_path, mcqs("abcdabcdab"))) == []
    assert len(warnings(write(tmp_path, mcqs("abcdddddab")))) == 1
