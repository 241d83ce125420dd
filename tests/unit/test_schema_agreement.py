"""The JSON Schema and `quiz check` agree: a deck is valid under one iff under the other.

Every deck of a corpus (good decks, and the tiny deck with one mistake each) is
validated by a standard JSON Schema validator (jsonschema, draft 2020-12, on the
YAML as PyYAML reads it: YAML 1.1, as quiz does) and by `quiz check`. They must give
the same verdict, except on the mistakes a JSON Schema cannot express, listed in
``CHECK_ONLY``: there the schema accepts and check refuses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from quiz.commands.authoring import scaffold
from quiz.decks.diagnostics import Severity
from quiz.decks.loader import check_deck
from quiz.decks.schema import json_schema
from tests.conftest import TINY

ROOT = Path(__file__).parents[2]
TINY_TEXT = TINY.read_text(encoding="utf-8")


def edit(old: str, new: str) -> str:
    assert old in TINY_TEXT, old
    return TINY_TEXT.replace(old, new, 1)


GOOD: dict[str, str] = {
    "tiny": TINY_TEXT,
    "calciphylaxis": (ROOT / "decks" / "calciphylaxis.yaml").read_text(encoding="utf-8"),
    "quiz-new-scaffold": scaffold("demo", "Demo", "deck.schema.json", "demo.yaml"),
    "correct-yes": edit("correct: true", "correct: yes"),  # YAML 1.1 reads yes as true
    "version-number": edit("version: 1", "version: 3"),
    "cloze-c500": edit("{{c2::Na::two letters}}", "{{c500::Na}}"),
}

BAD: dict[str, str] = {
    "back-No": edit("back: Paris", "back: No"),
    "back-off": edit("back: Paris", "back: off"),
    "back-blank": edit("back: Paris", "back: '   '"),
    "back-empty": edit("back: Paris", "back: ''"),
    "back-missing": edit("    back: Paris\n", ""),
    "back-number": edit("back: Paris", "back: 12"),
    "unknown-key": edit("front: H2O", "front: H2O\n    fornt: typo"),
    "capitalised-type": edit("    type: basic", "    Type: basic"),
    "type-typo": edit("type: cloze", "type: clozed"),
    "type-missing": edit("    type: basic\n", ""),
    "id-number": edit("id: capital", "id: 0012"),
    "id-space": edit("id: capital", "id: 'two words'"),
    "id-missing": edit("  - id: capital\n    type: basic", "  - type: basic"),
    "tag-space": edit("tags: [chem]", "tags: ['two words']"),
    "tags-string": edit("tags: [chem]", "tags: chem"),
    "extra-number": edit("extra: It has been the capital for centuries.", "extra: 5"),
    "cloze-no-deletion": edit(
        'text: "{{c1::Sodium}} has the symbol {{c2::Na::two letters}}."', "text: no deletion"
    ),
    "cloze-c0-only": edit(
        'text: "{{c1::Sodium}} has the symbol {{c2::Na::two letters}}."', 'text: "{{c0::x}}"'
    ),
    "cloze-c501-only": edit(
        'text: "{{c1::Sodium}} has the symbol {{c2::Na::two letters}}."', 'text: "{{c501::x}}"'
    ),
    "mcq-two-correct": edit("{text: Cellulitis,", "{text: Cellulitis, correct: true,"),
    "mcq-none-correct": edit("correct: true, ", ""),
    "mcq-correct-string": edit("correct: true", "correct: 'yes'"),
    "mcq-one-option": edit(
        "      - {text: Cellulitis, explanation: Not necrotic.}\n"
        "      - {text: Vasculitis, explanation: Biopsy would show vasculitis.}\n",
        "",
    ),
    "mcq-option-no-explanation": edit(
        "{text: Cellulitis, explanation: Not necrotic.}", "{text: Cellulitis}"
    ),
    "notes-empty": TINY_TEXT.split("notes:")[0] + "notes: []\n",
    "deck-title-missing": edit("  title: Tiny deck\n", ""),
    "source-unknown-key": edit("source: {id: book}", "source: {id: book, page: 3}"),
    "top-level-list": "- a\n- b\n",
}

CHECK_ONLY: dict[str, str] = {
    "duplicate-note-id": edit("id: water", "id: capital"),
    "duplicate-source-id": edit(
        "      url: https://example.org/book\n",
        "      url: https://example.org/book\n    - {id: book, title: Again}\n",
    ),
    "cloze-unbalanced-braces": edit("{{c2::Na::two letters}}", "{{c2::Na::two letters}"),
    "cloze-empty-answer": edit("{{c2::Na::two letters}}", "{{c2::}}"),
    "cloze-c501-beside-c1": edit("{{c2::Na::two letters}}", "{{c501::Na}}"),
}
"""Mistakes no JSON Schema can express: uniqueness across items, balanced braces."""


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def schema_accepts(validator: Any, text: str) -> bool:
    return bool(validator.is_valid(yaml.safe_load(text)))


def check_accepts(tmp_path: Path, text: str) -> bool:
    path = tmp_path / "deck.yaml"
    path.write_text(text, encoding="utf-8")
    return not any(d.severity is Severity.ERROR for d in check_deck(path))


@pytest.mark.parametrize("name", list(GOOD))
def test_both_accept_a_good_deck(validator: Any, tmp_path: Path, name: str) -> None:
    text = GOOD[name]
    errors = [e.message for e in validator.iter_errors(yaml.safe_load(text))]
    assert errors == []
    assert check_accepts(tmp_path, text)


@pytest.mark.parametrize("name", list(BAD))
def test_both_refuse_a_mistake_the_schema_can_express(
    validator: Any, tmp_path: Path, name: str
) -> None:
    text = BAD[name]
    assert not check_accepts(tmp_path, text)
    assert not schema_accepts(validator, text)


@pytest.mark.parametrize("name", list(CHECK_ONLY))
def test_only_check_refuses_what_a_schema_cannot_express(
    validator: Any, tmp_path: Path, name: str
) -> None:
    text = CHECK_ONLY[name]
    assert not check_accepts(tmp_path, text)
    assert schema_accepts(validator, text)


def test_a_valid_note_gets_no_error_from_the_other_note_types(validator: Any) -> None:
    """With oneOf, plain validators called a basic note's front and back 'not allowed'."""
    data = yaml.safe_load(edit("back: Paris", "back: ''"))
    messages = [e.message for e in validator.iter_errors(data)]
    assert messages and not any("were unexpected" in m for m in messages), messages
