"""Schema migrations, SQLite settings, and clear refusals of files that are not ours."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from quiz.services.context import Quiz
from quiz.store.engine import HEAD_REVISION, Store, StoreError, backup_sqlite, open_store
from quiz.store.migrate import head_revision
from quiz.store.tables import metadata


def test_head_revision_constant_matches_alembic() -> None:
    assert head_revision() == HEAD_REVISION


def test_migrations_build_exactly_the_declared_schema(tmp_path: Path) -> None:
    store, backup = open_store(f"sqlite:///{tmp_path / 'q.sqlite3'}")
    assert backup is None
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    store.dispose()
    assert diff == []


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path: Path) -> None:
    store, _ = open_store(f"sqlite:///{tmp_path / 'q.sqlite3'}")
    with store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
    store.dispose()


def test_reopening_does_not_migrate_or_back_up(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'q.sqlite3'}"
    open_store(url)[0].dispose()
    store, backup = open_store(url)
    store.dispose()
    assert backup is None
    assert list(tmp_path.glob("*.backup-*")) == []


def test_an_empty_database_gets_the_schema(db_url: str) -> None:
    # The revision query fails on an empty database; on PostgreSQL that failure must not
    # poison the connection that then lists the tables.
    store, backup = open_store(db_url)
    with store.read() as conn:
        revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    store.dispose()
    assert (revision, backup) == (HEAD_REVISION, None)


def test_opening_a_current_store_does_not_list_its_tables(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Start-up: a quiz store is recognised by reading its revision; reflection is for the
    # rare file that has none.
    open_store(db_url)[0].dispose()

    def no_reflection(*args: object) -> None:
        raise AssertionError("the tables were listed")

    monkeypatch.setattr("quiz.store.engine.inspect", no_reflection)
    store, backup = open_store(db_url)
    store.dispose()
    assert backup is None


def test_a_known_learner_opens_without_a_write_transaction(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A write transaction takes the write lock (waiting behind an import) and commits
    # with an fsync: starting as an existing learner must only read.
    Quiz.open(db_url, learner="ann").close()
    writes: list[Store] = []
    write = Store.write

    def counted(store: Store) -> object:
        writes.append(store)
        return write(store)

    monkeypatch.setattr(Store, "write", counted)
    ann = Quiz.open(db_url, learner="ann")
    assert writes == []
    bob = Quiz.open(db_url, learner="bob")  # new: created once
    assert len(writes) == 1
    again = Quiz.open(db_url, learner="bob")
    assert len(writes) == 1
    assert again.learner_id == bob.learner_id != ann.learner_id
    for quiz in (ann, bob, again):
        quiz.close()


def test_backup_copies_a_consistent_database(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    store, _ = open_store(f"sqlite:///{path}")
    store.dispose()
    copy = backup_sqlite(path, datetime(2026, 11, 22, 9, 30))
    assert copy.name == "q.sqlite3.backup-20261122T093000"
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (
            HEAD_REVISION,
        )


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello, this is not a database\n" * 10)
    with pytest.raises(StoreError, match="is not a SQLite database"):
        open_store(f"sqlite:///{path}")
    assert path.read_text().startswith("hello")


def test_another_programs_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE payroll (id INTEGER)")
    with pytest.raises(StoreError, match="not a quiz database"):
        open_store(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"payroll"}


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    open_store(f"sqlite:///{path}")[0].dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StoreError, match="newer quiz"):
        open_store(f"sqlite:///{path}")


def test_a_corrupt_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    open_store(f"sqlite:///{path}")[0].dispose()
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # smash the schema page, keep the header
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match=r"cannot open database|damaged"):
        open_store(f"sqlite:///{path}")
