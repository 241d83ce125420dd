"""Deck validation: every error at once, each as file:line, and hostile YAML rejected safely."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quiz.decks import DeckError, load_deck
from quiz.decks.loader import MAX_FILE_BYTES, load_deck_bytes
from quiz.decks.schema import json_schema
from quiz.domain.notes import NoteType
from tests.conftest import TINY

HEADER = """\
deck:
  id: demo
  title: Demo
  sources:
    - {id: book, title: The Book}
notes:
"""


def write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "deck.yaml"
    path.write_text(header + textwrap.dedent(body), encoding="utf-8")
    return path


def errors(path: Path) -> list[str]:
    with pytest.raises(DeckError) as info:
        load_deck(path)
    return [str(d) for d in info.value.diagnostics]


def test_tiny_deck_loads_into_notes_and_cards() -> None:
    loaded = load_deck(TINY)
    deck = loaded.deck
    assert deck.id == "tiny"
    assert [n.type for n in deck.notes] == [
        NoteType.BASIC,
        NoteType.REVERSED,
        NoteType.CLOZE,
        NoteType.MCQ,
    ]
    assert deck.card_count() == 1 + 2 + 2 + 1
    reverse = deck.notes[1].render(1)
    assert (reverse.prompt, reverse.answer) == ("Water", "H2O")
    mcq = deck.notes[3].render(0)
    assert mcq.correct_letter == "a"
    assert loaded.warnings == ()
    assert len(loaded.sha256) == 64


def test_every_error_is_reported_at_once_with_line_and_path(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
      - id: a
        type: basic
        front: What?
        fornt: typo
      - id: b
        type: cloze
        text: "{{c1:broken}}"
      - id: 12
        type: basic
        front: x
        back: y
      - id: d
        type: nope
    """,
    )
    found = errors(path)
    assert found == [
        f"{path}:7:3: error: notes[0](a): missing required key `back`",
        f"{path}:10:3: error: notes[0](a).fornt: unknown key `fornt`; did you mean `front`?",
        f"{path}:13:3: error: notes[1](b).text: has a malformed cloze; write deletions as "
        "{{c1::answer}} or {{c1::answer::hint}}",
        f"{path}:14:3: error: notes[2].id: must be text, not 12 (a number); "
        "quote it to make it text",
        f"{path}:19:3: error: notes[3](d).type: `type` must be one of basic, reversed, cloze, mcq",
    ]


def test_mcq_needs_exactly_one_correct_option(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
      - id: q
        type: mcq
        stem: A patient.
        options:
          - {text: A, correct: true, explanation: x}
          - {text: B, correct: true, explanation: y}
      - id: r
        type: mcq
        stem: Another.
        options:
          - {text: A, explanation: x}
          - {text: B, explanation: y}
    """,
    )
    found = errors(path)
    assert "notes[0](q): needs exactly one option with `correct: true`, found 2" in found[0]
    assert "found 0" in found[1]
    assert found[0].startswith(f"{path}:7:")


def test_duplicate_note_ids_and_unknown_sources(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
      - {id: a, type: basic, front: x, back: y}
      - {id: a, type: basic, front: z, back: w}
    """,
    )
    assert errors(path) == [
        f"{path}:8:4: error: notes[1](a): duplicate note id 'a' (first used at line 7); "
        "ids must be unique"
    ]
    ok = write(
        tmp_path,
        """\
      - {id: a, type: basic, front: x, back: y, source: {id: missing}}
    """,
    )
    warnings = load_deck(ok).warnings
    assert [w.message for w in warnings] == [
        "unknown source id 'missing'; declare it under deck.sources"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("!!python/object/apply:os.system ['echo hacked']\n", "is not allowed in a deck"),
        ("deck: !!python/name:os.system\n", "is not allowed in a deck"),
        ("deck: {id: a}\ndeck: {id: b}\n", "duplicate key 'deck'"),
        ("deck:\n\tid: x\n", "tabs"),
        ("deck: [unclosed\n", "YAML syntax"),
        ("- just\n- a list\n", "a deck file is a mapping"),
        ("", "a deck file is a mapping"),
        ("deck: " + "[" * 100 + "]" * 100 + "\n", "nested more than"),
    ],
)
def test_hostile_or_broken_yaml_is_a_clean_error(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    found = errors(path)
    assert any(expected in e for e in found), found
    assert all(e.startswith(f"{path}:") for e in found)


def test_alias_bomb_is_stopped(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert any("alias bomb" in e for e in errors(path))


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"deck:\n  id: x\n  title: caf\xe9\n")
    assert errors(path) == [f"{path}:3:13: error: invalid UTF-8 byte 0xe9; save the file as UTF-8"]


def test_oversized_file_is_refused_without_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    assert "larger than" in errors(path)[0]


def test_missing_file(tmp_path: Path) -> None:
    assert "no such deck file; check the path" in errors(tmp_path / "nope.yaml")[0]


def test_json_schema_covers_every_note_type() -> None:
    schema = json_schema()
    text = json.dumps(schema)
    for kind in ("basic", "reversed", "cloze", "mcq"):
        assert f'"{kind}"' in text
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert set(schema["required"]) == {"deck", "notes"}


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(lambda s: s.encode("utf-8", "replace")))
def test_any_bytes_give_a_deck_or_a_located_error_never_a_crash(data: bytes) -> None:
    try:
        load_deck_bytes(data, "fuzz.yaml")
    except DeckError as exc:
        assert exc.diagnostics
        assert all(str(d).startswith("fuzz.yaml:") for d in exc.diagnostics)


def test_note_fields_are_what_model_dump_gives(tmp_path: Path) -> None:
    from quiz.decks.explain import _FIELDS
    from quiz.decks.loader import _note_fields
    from quiz.decks.schema import DeckFileModel

    path = write(
        tmp_path,
        """\
      - {id: no-question, type: mcq, stem: S, options: [{text: A, correct: true,
         explanation: x}, {text: B, explanation: y}]}
    """,
    )
    for deck in (TINY, path):
        model = DeckFileModel.model_validate(yaml.safe_load(deck.read_text(encoding="utf-8")))
        for note in model.notes:
            expected = note.model_dump(include=_FIELDS[note.type], exclude_none=True)
            assert _note_fields(note) == expected
            assert list(_note_fields(note)) == list(expected)  # same key order in the database
    assert {n.type for n in load_deck(TINY).deck.notes} == set(NoteType)


def test_paused_gc_restores_the_collector_when_the_last_pause_ends() -> None:
    import gc

    from quiz.decks.loader import paused_gc

    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause is still on
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # a collector that was off stays off
    finally:
        gc.enable()
    with pytest.raises(DeckError), paused_gc():
        load_deck_bytes(b"deck: [", "x.yaml")
    assert gc.isenabled()


@pytest.mark.parametrize("escape", ["\\0", "\\x00", "\\u0000", "\\U00000000"])
def test_a_nul_character_is_refused_where_it_is(tmp_path: Path, escape: str) -> None:
    # YAML refuses a raw NUL but writes one for these escapes; PostgreSQL cannot store it.
    path = write(
        tmp_path,
        f"""\
      - {{id: a, type: basic, front: x, back: y}}
      - {{id: b, type: basic, front: x, back: y, extra: "bad{escape}"}}
    """,
    )
    assert errors(path) == [
        f"{path}:8:43: error: notes[1](b).extra: a NUL character (\\0) cannot be stored "
        "(PostgreSQL refuses it); remove it"
    ]


def test_a_backslash_zero_outside_double_quotes_is_text(tmp_path: Path) -> None:
    path = write(tmp_path, "  - {id: a, type: basic, front: 'C:\\0 drive', back: y}\n")
    assert load_deck(path).deck.notes[0].fields["front"] == "C:\\0 drive"
