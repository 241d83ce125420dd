"""Engine factory and schema upgrades: WAL SQLite by default, any SQLAlchemy URL by design."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DatabaseError, OperationalError

HEAD_REVISION = "0008"
"""The newest migration; a test checks it matches Alembic's head."""

BUSY_TIMEOUT_MS = 10_000
"""How long a writer waits for another session's transaction before giving up."""


class StoreError(Exception):
    """The database cannot be used; the message says which and what to do."""


@dataclass
class Store:
    """A database: the engine plus helpers for short read and write transactions."""

    engine: Engine
    url: str
    _writer: Engine = field(init=False, repr=False)
    """The engine with the write option set once, instead of copying each write
    connection to set it (a few microseconds of every answer)."""

    def __post_init__(self) -> None:
        self._writer = self.engine.execution_options(quiz_write=True)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that takes the write lock at once (SQLite: BEGIN IMMEDIATE).

        Taking it up front, rather than on the first write, means two sessions
        never deadlock upgrading read locks; the busy timeout makes the second
        one wait its turn.
        """
        with self._writer.connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases and in-memory SQLite."""
    if not url.startswith("sqlite"):
        return None
    database = url.split("///", 1)[1] if "///" in url else ""
    database = database.split("?", 1)[0]
    if not database or database == ":memory:":
        return None
    return Path(database)


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys, a busy timeout and full syncs."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself, so writers can ask for IMMEDIATE.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed answer survives power loss too, not only a crash.
        cursor.execute("PRAGMA synchronous=FULL")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    mode = "IMMEDIATE" if conn.get_execution_options().get("quiz_write") else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


def open_store(
    url: str, *, upgrade: bool = True, now: datetime | None = None
) -> tuple[Store, Path | None]:
    """Open a database, creating and migrating it to the current schema.

    Returns:
        The store and, if a SQLite file had to be migrated, where its backup was written.

    Raises:
        StoreError: If the file is not a database, is corrupt, belongs to another
            program, or is newer than this version of quiz.
    """
    path = sqlite_path(url)
    if path is not None:
        _check_sqlite_file(path)
        path.parent.mkdir(parents=True, exist_ok=True)
    store = Store(make_engine(url), url)
    backup: Path | None = None
    try:
        current = current_revision(store.engine)
        if current != HEAD_REVISION and upgrade:
            if current is not None and path is not None:
                backup = backup_sqlite(path, now or datetime.now())
            _upgrade(url)
    except StoreError:
        store.dispose()
        raise
    except (DatabaseError, OperationalError) as exc:
        store.dispose()
        raise StoreError(f"cannot open database {_display(url)}: {_reason(exc)}") from None
    return store, backup


def _upgrade(url: str) -> None:
    """Migrate to the head revision on a connection of its own, made for schema changes.

    Raises:
        StoreError: If the upgrade left rows pointing at rows that no longer exist.
    """
    from quiz.store.migrate import upgrade_to_head  # Alembic only when needed

    engine = make_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        # Alembic's batch mode changes a SQLite table by copying it and dropping the
        # original; with foreign keys on, that DROP cascades and deletes every card
        # state and log row pointing into the table. SQLite's own recipe for table
        # changes turns them off and runs foreign_key_check afterwards instead.
        event.listen(engine, "connect", _foreign_keys_off)
    try:
        # Write lock first (BEGIN IMMEDIATE): two quiz processes opening a new file at
        # once take turns, and the second finds the schema already done, instead of
        # one failing with "database is locked".
        upgrade_to_head(engine.execution_options(quiz_write=True))
        if sqlite:
            with engine.connect() as conn:
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise StoreError(
                    f"the schema upgrade of {_display(url)} left {len(broken)} row(s) pointing "
                    "at missing rows; restore the backup quiz made before upgrading"
                )
    finally:
        engine.dispose()


def _foreign_keys_off(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA foreign_keys=OFF")


def current_revision(engine: Engine) -> str | None:
    """The schema revision of a database, None for an empty one.

    Raises:
        StoreError: If the database holds tables but no quiz schema, or a newer one.
    """
    with engine.connect() as conn:
        try:
            # A quiz store answers this at once; listing the tables (reflection) is only
            # needed to tell an empty file from another program's, when it does not.
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DatabaseError:  # no such table, or a damaged file
            conn.rollback()  # PostgreSQL refuses further statements in a failed transaction
            tables = set(inspect(conn).get_table_names())
            if "alembic_version" in tables:
                raise  # there but unreadable: the caller reports why
            _refuse_other_programs(tables, engine)
            return None
    if revision is not None and revision > HEAD_REVISION:
        raise StoreError(
            f"{_display(str(engine.url))} was written by a newer quiz (schema {revision}); "
            "upgrade quiz to open it"
        )
    return revision


def _refuse_other_programs(tables: set[str], engine: Engine) -> None:
    """A database without quiz's schema is only taken over when it holds no tables.

    Raises:
        StoreError: If it holds another program's tables.
    """
    if tables - {"sqlite_sequence"}:
        raise StoreError(
            f"{_display(str(engine.url))} holds tables but is not a quiz database; "
            "point --db or QUIZ_DB at another file"
        )


def _check_sqlite_file(path: Path) -> None:
    if not path.exists():
        return
    if path.is_dir():
        raise StoreError(f"{path} is a directory, not a database file")
    with path.open("rb") as fh:
        header = fh.read(16)
    if header and header != b"SQLite format 3\x00":
        raise StoreError(f"{path} is not a SQLite database; point --db or QUIZ_DB at another file")


def backup_sqlite(path: Path, when: datetime) -> Path:
    """Copy a SQLite database (WAL included, consistently) to a timestamped file beside it.

    An existing backup is never overwritten: a second backup in the same second
    (an upgrade, then `quiz doctor` repairing) gets a numbered name instead.
    """
    stem = f"{path.name}.backup-{when:%Y%m%dT%H%M%S}"
    target = path.with_name(stem)
    number = 1
    while target.exists():
        number += 1
        target = path.with_name(f"{stem}-{number}")
    source = sqlite3.connect(path)
    try:
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()
    return target


def copy_file(source: Path, target: Path) -> None:
    shutil.copy2(source, target)


def _display(url: str) -> str:
    path = sqlite_path(url)
    if path is not None:
        return str(path)
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _reason(exc: Exception) -> str:
    message = str(getattr(exc, "orig", exc)) or type(exc).__name__
    if "file is not a database" in message or "malformed" in message:
        return f"{message}; the file is damaged: restore a backup or run `quiz doctor`"
    return message
