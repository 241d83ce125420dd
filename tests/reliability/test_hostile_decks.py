"""Hostile decks: each is refused with a file:line message and changes nothing, or is neutralised.

Every case goes through `quiz import` exactly as a student would run it, on a
collection that already holds a deck and progress, and always together with
a second, valid deck file: the import must fail as a whole (exit 1, a
``file:line:column: error:`` message, no traceback) and leave the database
byte-for-byte as it was (compared as a full SQL dump).
"""

from __future__ import annotations

import os
import re
import resource
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from quiz.cli import cli
from quiz.services import Quiz
from quiz.services.decks import deck_from_db
from quiz.services.review import ReviewSession
from quiz.tui.text import clean
from tests.conftest import TINY
from tests.reliability.harness import ROOT

HEADER = """\
deck:
  id: hostile
  title: Hostile
notes:
"""
"""Notes start on line 5."""


def notes(body: str) -> bytes:
    return (HEADER + textwrap.dedent(body)).encode("utf-8")


def tiny(old: str, new: str) -> bytes:
    """The tiny deck (already imported, with progress) edited: a hostile update."""
    text = TINY.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1).encode("utf-8")


def alias_bomb() -> bytes:
    lines = [HEADER, '  - &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"  - &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines).encode() + b"\n"


def fifty_megabytes(path: Path) -> None:
    with path.open("wb") as fh:
        fh.write(HEADER.encode())
        line = b"  - {id: n, type: basic, front: " + b"x" * 100 + b", back: y}\n"
        fh.write(line * (50 * 1024 * 1024 // len(line)))


Content = bytes | Callable[[Path], None]

# (content, what the message says, the line it names or None for "any line")
CASES: dict[str, tuple[Content, str, int | None]] = {
    # YAML that would run code or exhaust memory
    "python-object-apply": (
        notes("  - !!python/object/apply:os.system ['touch PWNED']\n"),
        "is not allowed in a deck",
        5,
    ),
    "python-name": (
        tiny("back: Paris", "back: !!python/name:os.system"),
        "is not allowed in a deck",
        14,
    ),
    "python-object-new": (
        notes("  - {id: a, type: basic, front: !!python/object/new:dict [], back: b}\n"),
        "is not allowed",
        5,
    ),
    "local-tag": (notes("  - !note {id: a, type: basic, front: a, back: b}\n"), "!note", 5),
    "binary-tag": (
        notes("  - {id: a, type: basic, front: !!binary aGk=, back: b}\n"),
        "binary",
        5,
    ),
    "set-tag": (notes("  - !!set {a, b}\n"), "set", 5),
    "merge-key": (
        notes("  - &x {id: a, type: basic, front: a, back: b}\n  - {<<: *x, id: b}\n"),
        "merge",
        6,
    ),
    "alias-bomb": (alias_bomb(), "alias bomb", None),
    "50-MB-file": (fifty_megabytes, "larger than 10 MB", 1),
    "deep-flow-nesting": (notes("  - " + "[" * 1000 + "]" * 1000 + "\n"), "nested more than", 5),
    "deep-block-nesting": (
        notes("".join("  " * (i + 1) + f"k{i}:\n" for i in range(100))),
        "nested more than",
        None,
    ),
    # Encoding and layout
    "invalid-utf8": (tiny("Paris", "Par\xeds").replace(b"\xc3\xad", b"\xed"), "invalid UTF-8", 14),
    "utf16": ("deck:\n  id: x\n".encode("utf-16"), "invalid UTF-8", 1),
    "nul-byte": (tiny("back: Paris", "back: Pa\x00ris"), "control characters", None),
    "nul-escape": (tiny("back: Paris", 'back: "Pa\\0ris"'), "NUL character", None),
    "tab-indent": (notes("  - id: a\n\ttype: basic\n"), "indent with spaces, not tabs", 6),
    "odd-indent": (
        notes("  - id: a\n    type: basic\n     front: a\n    back: b\n"),
        "YAML syntax",
        7,
    ),
    "under-indent": (notes("  - id: a\n   type: basic\n"), "YAML syntax", 6),
    "second-document": (
        notes("  - {id: a, type: basic, front: a, back: b}\n---\nx: 1\n"),
        "another document",
        6,
    ),
    # Keys and ids
    "duplicate-key": (
        notes("  - {id: a, type: basic, front: a, front: c, back: b}\n"),
        "duplicate key 'front'",
        5,
    ),
    "duplicate-top-key": (tiny("notes:", "deck: {id: x}\nnotes:"), "duplicate key 'deck'", 10),
    "duplicate-note-id": (tiny("id: water", "id: capital"), "duplicate note id 'capital'", 18),
    "unknown-key": (tiny("front: H2O", "front: H2O\n    fornt: typo"), "unknown key `fornt`", 21),
    # An id YAML would silently turn into something else
    "id-octal-number": (tiny("id: capital", "id: 0012"), "not 10 (a number)", 11),
    "id-underscore-number": (tiny("id: capital", "id: 1_000"), "not 1000 (a number)", 11),
    "id-hex-number": (tiny("id: capital", "id: 0x1F"), "not 31 (a number)", 11),
    "id-yes": (tiny("id: capital", "id: yes"), "not true (a boolean)", 11),
    "id-off": (tiny("id: capital", "id: off"), "not false (a boolean)", 11),
    "id-float": (tiny("id: capital", "id: 1.50"), "not 1.5 (a number)", 11),
    "id-inf": (tiny("id: capital", "id: .inf"), "(a number)", 11),
    "id-null": (tiny("id: capital", "id: ~"), "must be text, not empty", 11),
    "id-list": (tiny("id: capital", "id: [capital]"), "must be text, not a list", 11),
    "deck-id-number": (tiny("id: tiny", "id: 2026"), "deck.id: must be text", 2),
    # Wrong types
    "front-number": (tiny("front: H2O", "front: 2.0"), "must be text, not 2.0", 20),
    "tags-string": (tiny("tags: [chem]", "tags: chem"), "must be a list", 22),
    "notes-mapping": (notes("  a: 1\n"), "notes: must be a list", 4),
    "note-null": (notes("  -\n"), "notes[0]", 5),
    "correct-string": (tiny("correct: true", "correct: 'yes'"), "must be true or false", 34),
    "type-unknown": (tiny("type: basic", "type: essay"), "`type` must be one of", 12),
    "top-level-list": (b"- a\n- b\n", "a deck file is a mapping", 1),
    "empty-file": (b"", "a deck file is a mapping", 1),
    "no-notes": (notes("").replace(b"notes:\n", b"notes: []\n"), "needs at least 1 item", 4),
    # Empty cards
    "front-empty": (tiny("front: Capital of France?", "front: ''"), "must not be", 13),
    "back-blank": (tiny("back: Paris", "back: '   '"), "must not be blank", 14),
    "back-missing": (tiny("    back: Paris\n", ""), "missing required key `back`", 11),
    "cloze-text-null": (
        tiny('text: "{{c1::Sodium}} has', 'text:\n    x: "{{c1::Sodium}} has'),
        "must be text, not empty",
        26,
    ),
    "stem-blank": (
        tiny("stem: A 60-year-old", "stem: ' '\n    x: A 60-year-old"),
        "must not be blank",
        31,
    ),
    # Clozes
    "cloze-no-deletion-at-all": (
        notes("  - {id: c, type: cloze, text: 'no deletion here'}\n"),
        "has no cloze deletion",
        5,
    ),
    "cloze-bad-braces": (tiny("{{c1::Sodium}}", "{{c1::Sodium}"), "malformed cloze", 26),
    "cloze-stray-close": (tiny("{{c1::Sodium}}", "{{c1::Sodium}}}}"), "malformed cloze", 26),
    "cloze-empty-answer": (tiny("{{c1::Sodium}}", "{{c1::}}"), "empty answer", 26),
    "cloze-zero": (tiny("{{c1::Sodium}}", "{{c0::Sodium}}"), "c0 must be 1 or more", 26),
    "cloze-nested": (tiny("{{c1::Sodium}}", "{{c1::So{{c3::di}}um}}"), "malformed cloze", 26),
    # Multiple choice
    "mcq-no-correct": (tiny("correct: true, ", ""), "found 0", 29),
    "mcq-two-correct": (
        tiny("{text: Cellulitis,", "{text: Cellulitis, correct: true,"),
        "found 2",
        29,
    ),
    "mcq-one-option": (
        notes(
            "  - {id: q, type: mcq, stem: s, options: [{text: t, correct: true, explanation: e}]}\n"
        ),
        "needs at least 2",
        5,
    ),
    "mcq-eleven-options": (
        notes(
            "  - {id: q, type: mcq, stem: s, options: ["
            + ", ".join(f"{{text: o{i}, explanation: e}}" for i in range(10))
            + ", {text: r, correct: true, explanation: e}]}\n"
        ),
        "more than 10",
        5,
    ),
    # Size of one value
    "field-over-50000-chars": (
        tiny("back: Paris", "back: " + "P" * 60_000),
        "longer than 50000",
        14,
    ),
}  # fmt: skip


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A collection with the tiny deck imported and a day of progress on it."""
    for var in ("QUIZ_DB", "QUIZ_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("QUIZ_HOME", str(home))
    monkeypatch.setenv("QUIZ_LEARNER", "ann")
    assert run("import", str(TINY)).exit_code == 0
    quiz = Quiz.open(f"sqlite:///{home / 'quiz.sqlite3'}", learner="ann")
    try:
        session = ReviewSession.start(quiz)
        while session.current() is not None:
            session.answer(4)
    finally:
        quiz.close()
    return home


def run(*args: str, color: bool = False) -> Result:
    return CliRunner().invoke(cli, list(args), color=color)


def dump(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def other_deck(tmp_path: Path) -> Path:
    path = tmp_path / "other.yaml"
    path.write_text(
        "deck: {id: other, title: Other}\nnotes:\n  - {id: o, type: basic, front: q, back: a}\n"
    )
    return path


@pytest.mark.parametrize("name", list(CASES))
def test_a_hostile_deck_is_refused_whole_with_its_line(
    home: Path, tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    content, expected, line = CASES[name]
    path = tmp_path / "decks" / "hostile.yaml"
    path.parent.mkdir()
    if callable(content):
        content(path)
    else:
        path.write_bytes(content)
    before = dump(home / "quiz.sqlite3")
    monkeypatch.chdir(tmp_path)  # where `touch PWNED` would land

    result = run("import", str(other_deck(tmp_path)), str(path))

    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert "nothing imported" in result.output
    found = re.findall(rf"^{re.escape(str(path))}:(\d+):\d+: error: (.*)$", result.output, re.M)
    assert found, result.output
    assert any(expected in message for _, message in found), found
    if line is not None:
        assert line in {int(n) for n, _ in found}, found
    assert dump(home / "quiz.sqlite3") == before  # nothing at all changed
    assert not (tmp_path / "PWNED").exists()


def test_an_id_that_loses_its_quotes_is_refused_and_progress_kept(
    home: Path, tmp_path: Path
) -> None:
    """`id: "0012"` edited to `id: 0012` would silently become note 10 and lose its progress."""
    quoted = tmp_path / "tiny.yaml"
    quoted.write_bytes(tiny("id: capital", 'id: "0012"'))
    assert run("import", str(quoted)).exit_code == 0
    quiz = Quiz.open(f"sqlite:///{home / 'quiz.sqlite3'}", learner="ann")
    try:
        deck = deck_from_db(quiz, "tiny")
        assert deck is not None and deck.notes[0].id == "0012"
    finally:
        quiz.close()
    before = dump(home / "quiz.sqlite3")
    quoted.write_bytes(tiny("id: capital", "id: 0012"))
    result = run("import", str(quoted))
    assert result.exit_code == 1
    assert f"{quoted}:11:5: error: notes[0].id: must be text, not 10 (a number)" in result.output
    assert dump(home / "quiz.sqlite3") == before


def test_ids_yaml_keeps_as_written_are_text(home: Path, tmp_path: Path) -> None:
    """PyYAML reads `1e3` and dates as the text written, so they are ordinary ids."""
    path = tmp_path / "odd.yaml"
    path.write_bytes(
        notes(
            "  - {id: 1e3, type: basic, front: a, back: b}\n"
            "  - {id: 2026-01-05, type: basic, front: c, back: d}\n"
        )
    )
    assert run("import", str(path)).exit_code == 0
    quiz = Quiz.open(f"sqlite:///{home / 'quiz.sqlite3'}", learner="ann")
    try:
        deck = deck_from_db(quiz, "hostile")
        assert deck is not None and [n.id for n in deck.notes] == ["1e3", "2026-01-05"]
    finally:
        quiz.close()


NASTY = {
    "markup": "[bold red]x[/] [link=file:///etc/passwd]y[/link] [/] [",
    "ansi": "\x1b[2J\x1b[31mred\x1b[0m \x1b]8;;http://x\x07link\x1b]8;;\x07 \x9b1;1H",
    "controls": "bell\x07 back\x08 vt\x0b del\x7f cr\rend",  # NUL is refused: see above
    "bidi": "\u202eevil\u202c \u2067iso\u2069 עברית العربية",
    "zero-width": "zero\u200bwidth\u200d joiner\ufeff bom",
    "long": "x" * 10_000,
    "surrogate-free emoji": "🩺 " * 100,
}


def test_hostile_text_is_stored_verbatim_and_shown_neutralised(home: Path, tmp_path: Path) -> None:
    """Accepted, kept exactly as written, and made harmless where it is shown (quiz.tui.text)."""
    deck = {
        "deck": {"id": "nasty", "title": "Nasty"},
        "notes": [
            {"id": key.replace(" ", "-"), "type": "basic", "front": key, "back": value}
            for key, value in NASTY.items()
        ],
    }
    path = tmp_path / "nasty.yaml"
    path.write_text(yaml.safe_dump(deck, allow_unicode=True), encoding="utf-8")
    result = run("import", str(path))
    assert result.exit_code == 0, result.output
    quiz = Quiz.open(f"sqlite:///{home / 'quiz.sqlite3'}", learner="ann")
    try:
        stored = deck_from_db(quiz, "nasty")
    finally:
        quiz.close()
    assert stored is not None
    assert [n.fields["back"] for n in stored.notes] == list(NASTY.values())
    for note in stored.notes:
        shown = clean(note.fields["back"])
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", shown)


def test_command_output_never_carries_escape_sequences_from_a_deck(tmp_path: Path) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text(
        'deck: {id: evil, title: "Evil \\e[2J\\e]0;owned\\a \\u202e"}\n'
        "notes:\n  - {id: a, type: basic, front: q, back: a}\n"
    )
    env = {"QUIZ_HOME": str(tmp_path / "home"), "QUIZ_LEARNER": "ann"}
    # color=True: what a terminal would receive (click strips escapes only for pipes).
    imported = CliRunner(env=env).invoke(cli, ["import", str(path)], color=True)
    listed = CliRunner(env=env).invoke(cli, ["decks"], color=True)
    for result in (imported, listed):
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output
        assert "\u202e" not in result.output


def _in_subprocess(path: Path, memory: int) -> subprocess.CompletedProcess[str]:
    """Run `quiz check` on path in a child with bounded memory, so a crash can't take pytest."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run(
        [sys.executable, "-c", "from quiz.cli import main; main()", "check", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limit,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_very_deep_nesting_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_bytes(notes("  - " + "[" * 100_000 + "]" * 100_000 + "\n"))
    result = _in_subprocess(path, 2 * 1024**3)
    assert result.returncode == 1, (result.returncode, result.stderr[-500:])
    assert f"{path}:5:" in result.stdout and "nested more than" in result.stdout


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_deck_that_is_an_endless_device_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deck.yaml"
    path.symlink_to("/dev/zero")
    result = _in_subprocess(path, 1024**3)
    assert result.returncode == 1, (result.returncode, result.stderr[-500:])
    assert "Traceback" not in result.stderr
    assert f"{path}:1:1: error:" in result.stdout
