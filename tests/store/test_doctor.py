"""`quiz doctor` as a service: each kind of damage is found, reported, and repaired safely.

Damage is made the way it happens in real life: raw SQL with foreign keys off
(as in the sqlite3 shell), or bytes overwritten in the file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import ForeignKey, select, update

from quiz.services import Quiz
from quiz.services.decks import import_files
from quiz.services.doctor import LINKS, Level, run_doctor, sqlite_damage
from quiz.services.review import ReviewSession
from quiz.store.engine import backup_sqlite, sqlite_path
from quiz.store.tables import card_states, metadata
from tests.conftest import TINY, FakeClock

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


@pytest.fixture
def db(db_url: str) -> Path:
    """The SQLite file, for tests that damage it the way the sqlite3 shell would."""
    path = sqlite_path(db_url)
    if path is None:
        pytest.skip("edits the SQLite file directly")
    return path


@pytest.fixture
def studied(quiz: Quiz, clock: FakeClock) -> Iterator[Quiz]:
    """Two days of answers on the tiny deck, some failed and re-drilled."""
    import_files(quiz, [TINY])
    for _ in range(2):
        session = ReviewSession.start(quiz)
        grades = iter([5, 2, 4, 1, 5, 5, 3, 4, 5, 5])
        while session.current() is not None:
            session.answer(next(grades, 5))
        clock.advance(days=1)
    yield quiz


def raw(db: Path, *statements: str) -> None:
    """Edit the file as the sqlite3 shell would: foreign keys off, no checks."""
    conn = sqlite3.connect(db)
    try:
        with conn:
            for sql in statements:
                conn.execute(sql)
    finally:
        conn.close()


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def dump(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def checks(quiz: Quiz, *, repair: bool = True) -> dict[str, int]:
    report = run_doctor(quiz.store, repair=repair, now=NOW)
    return {f.check: f.count for f in report.findings}


def test_a_healthy_database_has_no_findings_and_is_not_backed_up(studied: Quiz, db: Path) -> None:
    report = run_doctor(studied.store, repair=True, now=NOW)
    assert report.findings == []
    assert report.ok
    assert report.backup is None
    assert report.checked["review_log"] > 0 and report.checked["answered cards"] == 4
    assert list(db.parent.glob("*.backup-*")) == []


def test_a_wrong_card_state_is_repaired_on_any_database(studied: Quiz) -> None:
    """Portable: runs on PostgreSQL too when QUIZ_TEST_POSTGRES_URL is set."""
    learner = studied.learner_id
    where = (card_states.c.learner_id == learner, card_states.c.card_id == 1)
    with studied.store.read() as conn:
        good = conn.execute(select(card_states).where(*where)).one()
    with studied.store.write() as conn:
        conn.execute(update(card_states).where(*where).values(ef=131, repetitions=9))
    report = run_doctor(studied.store, repair=True, now=NOW)
    assert [(f.check, f.repaired) for f in report.findings] == [("card-states", True)]
    with studied.store.read() as conn:
        assert conn.execute(select(card_states).where(*where)).one() == good


def test_every_foreign_key_of_the_schema_is_checked_for_orphans() -> None:
    declared = {
        (table.name, fk.parent.name)
        for table in metadata.tables.values()
        for fk in table.foreign_keys
        if isinstance(fk, ForeignKey)
    }
    assert {(link.child.name, link.column) for link in LINKS} == declared


def test_a_card_state_that_disagrees_with_the_log_is_set_from_the_latest_row(
    studied: Quiz, db: Path
) -> None:
    latest = (
        "SELECT ef_after, interval_after, due_after FROM review_log"
        " WHERE card_id = 1 ORDER BY id DESC LIMIT 1"
    )
    raw(db, "UPDATE card_states SET ef = 999, interval = 77, due = '2030-01-01' WHERE card_id = 1")
    before = dump(db)
    assert checks(studied, repair=False) == {"card-states": 1}
    assert dump(db) == before  # --check-only changes nothing
    report = run_doctor(studied.store, repair=True, now=NOW)
    assert [(f.check, f.repaired) for f in report.findings] == [("card-states", True)]
    assert rows(db, "SELECT ef, interval, due FROM card_states WHERE card_id = 1") == rows(
        db, latest
    )
    # The backup was taken first and holds the file as it was.
    assert report.backup is not None and report.backup.name == "quiz.sqlite3.backup-20261123T093000"
    assert dump(report.backup) == before
    assert checks(studied) == {}


def test_a_lost_card_state_is_rebuilt_from_the_log(studied: Quiz, db: Path) -> None:
    kept = rows(db, "SELECT * FROM card_states WHERE card_id = 2")
    raw(db, "DELETE FROM card_states WHERE card_id = 2")
    assert checks(studied) == {"missing-states": 1}
    assert rows(db, "SELECT * FROM card_states WHERE card_id = 2") == kept
    assert checks(studied) == {}


def test_an_instructor_reset_is_not_mistaken_for_a_lost_state(
    studied: Quiz, tmp_path: Path
) -> None:
    reset = tmp_path / "tiny.yaml"
    text = TINY.read_text().replace("  - id: capital\n", "  - id: capital\n    reset: '2026-11'\n")
    reset.write_text(text)
    import_files(studied, [reset])
    assert checks(studied, repair=False) == {}


def test_undo_suspend_and_flags_are_not_problems(studied: Quiz) -> None:
    session = ReviewSession.start(studied)
    session.answer(2)
    session.undo()
    session.suspend()  # no log row, by design
    session.toggle_flag("typo")
    assert checks(studied, repair=False) == {}


def test_progress_without_history_is_kept_and_only_noted(studied: Quiz, db: Path) -> None:
    raw(db, "DELETE FROM review_log WHERE card_id = 1")
    report = run_doctor(studied.store, repair=True, now=NOW)
    assert [(f.check, f.level) for f in report.findings] == [("states-without-log", Level.NOTE)]
    assert report.ok and report.backup is None
    assert rows(db, "SELECT count(*) FROM card_states WHERE card_id = 1") == [(1,)]


def test_a_missing_learner_is_recreated_so_no_progress_is_lost(studied: Quiz, db: Path) -> None:
    states, logs = (
        rows(db, "SELECT count(*) FROM card_states")[0][0],
        rows(db, "SELECT count(*) FROM review_log")[0][0],
    )
    learner_id = studied.learner_id
    raw(db, f"DELETE FROM learners WHERE id = {learner_id}")
    assert checks(studied) == {
        "orphans:card_states.learner_id": states,
        "orphans:review_log.learner_id": logs,
    }
    assert rows(db, f"SELECT name FROM learners WHERE id = {learner_id}") == [
        (f"recovered-{learner_id}",)
    ]
    assert rows(db, "SELECT count(*) FROM card_states")[0][0] == states
    assert rows(db, "SELECT count(*) FROM review_log")[0][0] == logs
    assert checks(studied) == {}


def test_rows_of_missing_decks_notes_and_cards_are_removed(studied: Quiz, db: Path) -> None:
    raw(
        db,
        "INSERT INTO review_log SELECT 9000, learner_id, 999, reviewed_at, study_day, quality,"
        " scheduled, duration_ms, ef_before, ef_after, interval_before, interval_after,"
        " repetitions_before, repetitions_after, lapses_before, lapses_after, due_before,"
        " due_after, last_review_before, redrill_before, redrill_after, leech_before,"
        " leech_after, suspended_before, suspended_after, chosen_option FROM review_log LIMIT 1",
        "INSERT INTO card_states (learner_id, card_id, ef, interval, repetitions, lapses,"
        " redrill, leech, suspended) VALUES (1, 998, 250, 0, 0, 0, 0, 0, 0)",
        "INSERT INTO cards (id, note_id, ord, deck_id) VALUES (997, 777, 0, 1)",
        "INSERT INTO note_tags (note_id, tag) VALUES (777, 'x')",
        "INSERT INTO notes (id, deck_id, key, type, position, fields, tags, facts,"
        " content_hash) VALUES (555, 42, 'lost', 'basic', 0, '{}', '[]', '[]', 'h')",
        "INSERT INTO cards (id, note_id, ord, deck_id) VALUES (996, 555, 0, 42)",
    )
    report = run_doctor(studied.store, repair=True, now=NOW)
    assert {f.check: f.count for f in report.findings} == {
        "orphans:notes.deck_id": 1,
        "orphans:note_tags.note_id": 1,
        "orphans:cards.note_id": 1,  # card 997; card 996 goes with its note
        "orphans:card_states.card_id": 1,
        "orphans:review_log.card_id": 1,
    }
    assert all(f.repaired for f in report.findings) and report.ok
    assert report.removed == {
        "notes": 1,
        "note_tags": 1,
        "cards": 2,
        "card_states": 1,
        "review_log": 1,
    }
    assert rows(db, "PRAGMA foreign_key_check") == []
    assert rows(db, "SELECT count(*) FROM cards") == [(6,)]


def test_live_cards_of_a_retired_note_are_retired(studied: Quiz, db: Path) -> None:
    raw(db, "UPDATE notes SET retired_at = '2026-11-20 10:00:00.000000' WHERE key = 'water'")
    assert checks(studied) == {"retired-cards": 2}
    assert (
        rows(
            db,
            "SELECT c.retired_at FROM cards c JOIN notes n ON n.id = c.note_id"
            " WHERE n.key = 'water'",
        )
        == [("2026-11-20 10:00:00.000000",)] * 2
    )


def test_cards_filed_under_another_deck_than_their_note_are_refiled(
    studied: Quiz, db: Path
) -> None:
    """The queue and statistics read a card's deck from the card: a wrong copy hides it."""
    raw(
        db,
        "INSERT INTO decks (id, key, title, description, version, sources, tags, imported_at)"
        " SELECT 7, 'other', 'Other', '', '1', '[]', '[]', imported_at FROM decks LIMIT 1",
        "UPDATE cards SET deck_id = 7 WHERE note_id = (SELECT id FROM notes WHERE key = 'water')",
        "UPDATE cards SET deck_id = 99"
        " WHERE note_id = (SELECT id FROM notes WHERE key = 'capital')",
    )
    states = rows(db, "SELECT count(*) FROM card_states")
    assert checks(studied) == {"orphans:cards.deck_id": 1, "card-decks": 2}
    assert rows(
        db,
        "SELECT count(*) FROM cards c JOIN notes n ON n.id = c.note_id"
        " WHERE c.deck_id != n.deck_id",
    ) == [(0,)]
    assert rows(db, "SELECT count(*) FROM cards") == [(6,)]
    assert rows(db, "SELECT count(*) FROM card_states") == states
    assert checks(studied) == {}


def test_check_only_reports_without_writing_or_backing_up(studied: Quiz, db: Path) -> None:
    raw(db, "UPDATE card_states SET lapses = 3 WHERE card_id = 1", "DELETE FROM learners")
    before = dump(db)
    report = run_doctor(studied.store, repair=False, now=NOW)
    assert not report.ok and len(report.remaining) == 3
    assert report.backup is None and dump(db) == before


def test_a_damaged_file_is_reported_and_left_alone(studied: Quiz, db: Path) -> None:
    backup_sqlite(db, datetime(2026, 11, 1))
    studied.store.dispose()
    raw(db, "PRAGMA wal_checkpoint(TRUNCATE)")
    page = rows(db, "SELECT rootpage FROM sqlite_master WHERE name = 'review_log'")[0][0]
    data = bytearray(db.read_bytes())
    start = (int(page) - 1) * 4096  # type: ignore[call-overload]
    data[start + 8 : start + 4096] = b"\x5a" * (4096 - 8)  # smash the cells, keep the page type
    db.write_bytes(bytes(data))
    assert sqlite_damage(db)
    report = run_doctor(studied.store, repair=True, now=NOW)
    assert [f.check for f in report.findings] == ["integrity"]
    assert not report.ok and report.backup is None
    assert "restore a backup" in report.findings[0].repair
    assert report.backups == [db.parent / "quiz.sqlite3.backup-20261101T000000"]
    assert db.read_bytes() == bytes(data)


def test_two_backups_in_the_same_second_do_not_overwrite_each_other(db: Path, quiz: Quiz) -> None:
    # An upgrade backs up on open and doctor backs up again before repairing, often
    # within the same second; the first (pre-upgrade) copy must survive.
    first = backup_sqlite(db, NOW)
    raw(db, "INSERT INTO learners (name, created_at) VALUES ('zed', '2026-01-01 00:00:00')")
    second = backup_sqlite(db, NOW)
    assert first != second and second.name == first.name + "-2"
    assert rows(first, "SELECT count(*) FROM learners WHERE name = 'zed'") == [(0,)]
    assert rows(second, "SELECT count(*) FROM learners WHERE name = 'zed'") == [(1,)]
