"""Reading imported decks back for an export: the decks as they were loaded from their files.

``decks_from_db`` decodes the notes' JSON a deck at a time instead of a value
at a time; these tests hold it to the loader's own result, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from quiz.decks.loader import load_deck
from quiz.services import Quiz
from quiz.services.decks import deck_from_db, import_files
from quiz.services.export import decks_from_db
from tests.conftest import TINY

EXPORT_FIXTURES = Path(__file__).parent / "fixtures"

HOSTILE = {
    "quotes": 'say "hi", \\ and \\" and \'',
    "json-like": '{"front": [1, 2]}, ] [ , }',
    "controls": "bell\x07 esc\x1b del\x7f cr\rend\ttab\nline",
    "separators": "\u2028line\u2029para \x85next",
    "unicode": "e\u0301 \u0338 ß İ 😀 עברית",
    "spaced": "  padded  ",
}


def hostile_deck(tmp_path: Path) -> Path:
    """A deck whose text and ids exercise JSON escaping, with facts and a reset token."""
    deck = {
        "deck": {
            "id": "hostile",
            "title": "Hostile::Text",
            "sources": [{"id": "s", "title": 'The "source"', "url": "https://ex.org/?a=1&b=2"}],
            "tags": ["odd", "Odd::Case", "with-dash"],
        },
        "notes": [
            {
                "id": key,
                "type": "basic",
                "front": f"{key}: {value}",
                "back": value,
                "tags": ["odd", "Odd::Case"] if i % 2 else ["with-dash"],
                "extra": value,
                "source": {"id": "s", "section": value},
                "facts": [f"fact-{key}", "shared"],
                "reset": "r1" if i == 0 else None,
            }
            for i, (key, value) in enumerate(HOSTILE.items())
        ],
    }
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(deck, allow_unicode=True), encoding="utf-8")
    return path


def test_decks_read_back_equal_the_decks_as_loaded(quiz: Quiz, tmp_path: Path) -> None:
    paths = [
        TINY,
        EXPORT_FIXTURES / "nephrology.yaml",
        EXPORT_FIXTURES / "calciphylaxis.yaml",
        hostile_deck(tmp_path),
    ]
    import_files(quiz, paths)
    # Retire a note: an export reads live notes only.
    edited = tmp_path / "tiny.yaml"
    text = TINY.read_text(encoding="utf-8")
    water = text.index("  - id: water")
    edited.write_text(text[:water] + text[text.index("  - id: sodium") :], encoding="utf-8")
    import_files(quiz, [edited])
    keys = ["tiny", "nephrology", "calciphylaxis", "hostile"]

    found = decks_from_db(quiz, keys)

    assert found == {d.id: d for d in (load_deck(p).deck for p in [edited, *paths[1:]])}
    assert found == {key: deck_from_db(quiz, key) for key in keys}
    assert [n.id for n in found["tiny"].notes] == ["capital", "sodium", "vignette"]
    hostile = found["hostile"]
    assert [n.fields["back"] for n in hostile.notes] == list(HOSTILE.values())
    assert hostile.notes[0].facts == ("fact-quotes", "shared")
    assert hostile.notes[0].reset == "r1"


def test_keys_without_a_deck_are_left_out(quiz: Quiz) -> None:
    import_files(quiz, [TINY])
    assert list(decks_from_db(quiz, ["nope", "tiny", "tiny"])) == ["tiny"]
    assert decks_from_db(quiz, ["nope"]) == {}
