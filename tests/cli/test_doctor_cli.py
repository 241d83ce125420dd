"""`quiz doctor` from the command line: findings, backups, exit codes, and clean refusals."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from quiz.cli import cli
from quiz.services import Quiz
from quiz.services.review import ReviewSession
from tests.conftest import TINY


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ("QUIZ_DB", "QUIZ_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("QUIZ_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("QUIZ_LEARNER", "ann")
    return tmp_path / "home"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def studied(home: Path) -> Path:
    assert run("import", str(TINY)).exit_code == 0
    db = home / "quiz.sqlite3"
    quiz = Quiz.open(f"sqlite:///{db}", learner="ann")
    try:
        session = ReviewSession.start(quiz)
        while session.current() is not None:
            session.answer(4)
    finally:
        quiz.close()
    return db


def sql(db: Path, statement: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        with conn:
            return conn.execute(statement).fetchall()
    finally:
        conn.close()


def test_a_healthy_database(home: Path) -> None:
    studied(home)
    result = run("doctor")
    assert result.exit_code == 0, result.output
    assert "no problems found" in result.output
    assert list(home.glob("*.backup-*")) == []


def test_check_only_reports_then_doctor_repairs_after_a_backup(home: Path) -> None:
    db = studied(home)
    sql(db, "UPDATE card_states SET ef = 999 WHERE card_id = 1")
    sql(db, "UPDATE notes SET retired_at = '2026-01-01 00:00:00.000000' WHERE key = 'water'")

    result = run("doctor", "--check-only")
    assert result.exit_code == 1
    assert (
        "problem: 1 card state(s) disagree with the card's latest review-log row" in result.output
    )
    assert "problem: 2 card(s) of retired notes are still live" in result.output
    assert "not done (--check-only)" in result.output
    assert "2 problem(s) remain" in result.output
    assert sql(db, "SELECT ef FROM card_states WHERE card_id = 1") == [(999,)]

    result = run("doctor")
    assert result.exit_code == 0, result.output
    [backup] = home.glob("quiz.sqlite3.backup-*")
    assert f"backed up the database to {backup} before repairing" in result.output
    assert "set them from the latest review-log row: done" in result.output
    assert "all problems repaired" in result.output
    assert sql(backup, "SELECT ef FROM card_states WHERE card_id = 1") == [(999,)]
    assert sql(db, "SELECT ef FROM card_states WHERE card_id = 1") != [(999,)]

    again = run("doctor")
    assert again.exit_code == 0 and "no problems found" in again.output


def test_orphans_from_an_edit_with_foreign_keys_off(home: Path) -> None:
    db = studied(home)
    sql(db, "DELETE FROM learners WHERE name = 'ann'")
    sql(db, "DELETE FROM notes WHERE key = 'capital'")
    result = run("doctor")
    assert result.exit_code == 0, result.output
    assert "review-log row(s) of a missing learner" in result.output
    assert "1 card(s) belong to a note that does not exist" in result.output
    assert "1 row(s) from cards" in result.output
    assert sql(db, "PRAGMA foreign_key_check") == []
    assert sql(db, "SELECT name FROM learners WHERE name LIKE 'recovered-%'") == [("recovered-1",)]


def test_a_damaged_file_is_not_touched_and_backups_are_listed(home: Path) -> None:
    db = studied(home)
    sql(db, "PRAGMA wal_checkpoint(TRUNCATE)")
    old = home / "quiz.sqlite3.backup-20261101T000000"
    old.write_bytes(db.read_bytes())
    [(page,)] = sql(db, "SELECT rootpage FROM sqlite_master WHERE name = 'review_log'")
    data = bytearray(db.read_bytes())
    start = (int(page) - 1) * 4096  # type: ignore[call-overload]
    data[start + 8 : start + 4096] = b"\x5a" * (4096 - 8)
    db.write_bytes(bytes(data))

    result = run("doctor")
    assert result.exit_code == 1
    assert "problem: the database file is damaged" in result.output
    assert "restore a backup" in result.output and ".recover" in result.output
    assert f"backup available: {old}" in result.output
    assert "Traceback" not in result.output
    assert db.read_bytes() == bytes(data)  # not opened for writing, not migrated


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,score\nann,3\n" * 50, "is not a SQLite database"),
        (b"SQLite format 3\x00" + b"\x00" * 200, "the database file is damaged"),
        (b"", "no problems found"),  # an empty file is a new, empty database
    ],
)
def test_foreign_or_broken_files_get_a_message_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, message: str
) -> None:
    path = tmp_path / "collection.db"
    path.write_bytes(content)
    monkeypatch.setenv("QUIZ_DB", f"sqlite:///{path}")
    result = run("doctor")
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == (0 if not content else 1)


def test_another_programs_database_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "other.sqlite3"
    sql(path, "CREATE TABLE payroll (id INTEGER)")
    monkeypatch.setenv("QUIZ_DB", f"sqlite:///{path}")
    result = run("doctor")
    assert result.exit_code == 1
    assert "is not a quiz database" in result.output
    assert sql(path, "SELECT name FROM sqlite_master") == [("payroll",)]
