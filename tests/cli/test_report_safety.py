"""Hostile deck text, flag reasons and learner names never reach a spreadsheet or terminal raw."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC
from pathlib import Path

import pytest
from click.testing import CliRunner

from quiz.cli import cli
from quiz.domain.text import csv_cell
from quiz.services import Quiz
from quiz.services.decks import import_files
from quiz.services.review import ReviewSession
from tests.conftest import FakeClock

# Double-quoted YAML escapes: ESC (OSC 52 clipboard write, title change, CSI), C1 CSI,
# a bidi override, tab and carriage return, and the four formula starters.
HOSTILE = [
    r"=cmd|' /C calc'!A0",
    r"+1+cmd|' /C calc'!A0",
    r"-2+3+cmd|' /C calc'!A0",
    r"@SUM(1+1)*cmd|' /C calc'!A0",
    r"\tx=1+1",
    r"\rx=1+1",
    r"  =1+1 after spaces",
    r"\e]52;c;aGVsbG8=\a copies to the clipboard",
    r"\e]0;pwned\a sets the title",
    r"\e[2J\e[31m clears the screen",
    r"\x9b31m C1 CSI",
    r"\u202Eevil bidi override",
]

CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
FORMULA = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?\d+(\.\d+)?")


def hostile_deck(tmp_path: Path) -> Path:
    lines = ["deck: {id: evil, title: Evil}", "notes:"]
    for i, text in enumerate(HOSTILE):
        lines += [
            f"  - id: n{i}",
            "    type: mcq",
            f'    stem: "{text}"',
            "    options:",
            f'      - {{text: "{text}", correct: true, explanation: "{text}"}}',
            f'      - {{text: "other {i}", explanation: "{text}"}}',
        ]
    path = tmp_path / "evil.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'quiz.sqlite3'}"
    clock = FakeClock()
    reasons = iter(['=HYPERLINK("http://x")', "\x1b]52;c;Zm9v\x07", "@x", "-1+1"])
    for name in ("=evil()", "\x1b]0;title\x07ann", "+bob"):
        quiz = Quiz.open(url, learner=name, clock=clock, tz=UTC)
        try:
            if name.startswith("="):
                import_files(quiz, [hostile_deck(tmp_path)])
            session = ReviewSession.start(quiz)
            while (card := session.current()) is not None and not card.repeat:
                if card.info.note_key in ("n0", "n7"):
                    session.toggle_flag(next(reasons, None))
                key = next(o for o in card.info.face.options if o.correct)
                session.answer(4, 100, key.id)
        finally:
            quiz.close()
    return url


def run(url: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", url, "--learner", "instructor", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def assert_safe_csv(text: str) -> int:
    cells = 0
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            cells += 1
            assert not CONTROLS.search(cell), repr(cell)
            if cell.lstrip().startswith(FORMULA) or cell.startswith(FORMULA):
                assert NUMBER.fullmatch(cell), repr(cell)  # only a plain number may
    return cells


def test_report_csv_has_no_formula_cell_and_no_control_character(url: str) -> None:
    text = run(url, "report", "--format", "csv")
    assert assert_safe_csv(text) > 100
    assert "'=cmd|' /C calc'!A0" in text  # shown, as text
    assert run(url, "report", "--csv") == text
    people = run(url, "report", "--by-learner", "--format", "csv")
    assert assert_safe_csv(people) >= 12
    assert "'=evil()" in people and "'+bob" in people


def test_report_text_carries_no_raw_escape(url: str) -> None:
    for args in (("report",), ("report", "--by-learner")):
        text = run(url, *args)
        assert not CONTROLS.search(text.replace("\n", "")), args
    assert "␛]52;c;" in run(url, "report")  # visible stand-ins, not escapes


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-x", "'-x"),
        ("@A1", "'@A1"),
        ("\t=1", "'    =1"),
        ("\r=1", "'\n=1"),
        ("  =1", "'  =1"),
        ("-0.25", "-0.25"),
        ("12", "12"),
        (-3, "-3"),
        (None, ""),
        ("plain", "plain"),
        ("a\x1b]0;t\x07", "a␛]0;t␇"),
    ],
)
def test_csv_cell(value: object, safe: str) -> None:
    assert csv_cell(value) == safe
