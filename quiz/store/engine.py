"""Engine factory and schema upgrades: WAL SQLite by default, any SQLAlchemy URL by design."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DatabaseError, DBAPIError

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

    _checked: bool = field(default=False, init=False, repr=False)
    """SQLite's quick_check passed in this run, so writing cannot spread damage."""

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

        The first write of a run on a SQLite file first runs SQLite's quick_check:
        writing into a damaged file can spread the damage to pages that were sound.
        Reading never checks, so a start that only reads stays fast.

        Raises:
            StoreError: If the file fails the check; nothing is written.
        """
        if not self._checked:
            self.check_before_writing()
        with self._writer.connect() as conn, conn.begin():
            yield conn

    def check_before_writing(self) -> None:
        """Run the quick_check that guards the first write (once per run).

        Raises:
            StoreError: If the SQLite file is damaged.
        """
        path = sqlite_path(self.url)
        if path is not None:
            refuse_if_damaged(path)
        self._checked = True

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
    if path is None and url.startswith("sqlite"):
        raise StoreError(
            f"--db {url} is an in-memory database, which forgets every answer on exit; "
            "give a file: sqlite:///PATH/quiz.sqlite3"
        )
    if path is not None:
        _check_sqlite_file(path)
        make_private_dir(path.parent)
        create_private_file(path)
    try:
        store = Store(make_engine(url), url)
    except Exception as exc:  # a bad URL or a missing driver, before any connection
        raise StoreError(bad_url(url, exc)) from None
    backup: Path | None = None
    try:
        current = current_revision(store.engine)
        if current != HEAD_REVISION and upgrade:
            if path is not None:
                refuse_if_damaged(path)  # the upgrade rewrites tables: never in a damaged file
            if current is not None and path is not None:
                backup = backup_sqlite(path, now or datetime.now())
            _upgrade(url)
    except StoreError:
        store.dispose()
        raise
    except (DBAPIError, sqlite3.Error) as exc:
        store.dispose()
        raise StoreError(describe(exc, url)) from None
    return store, backup


def describe(exc: BaseException, url: str) -> str:
    """One sentence for a database error: the file or server, what is wrong, the fix."""
    from quiz.store.health import diagnose

    return diagnose(exc, _display(url), sqlite_path(url)).sentence


def refuse_if_damaged(path: Path) -> None:
    """Raises StoreError if SQLite's quick_check finds the file damaged."""
    from quiz.store.health import quick_check

    damage = quick_check(path)
    if damage:
        raise StoreError(
            f"the database file {path} is damaged ({damage[0]}); quiz wrote nothing to it. "
            "Run `quiz doctor --check-only` to see the backups to restore"
        )


def make_private_dir(folder: Path) -> None:
    """Create the folder (and missing parents) readable by its owner only (0700).

    A folder that exists keeps the permissions its owner gave it.

    Raises:
        StoreError: If a file is in the way, or the folder cannot be made.
    """
    if folder.is_dir():
        return
    if folder.exists():
        raise StoreError(
            f"{folder} is a file, not a folder; point --data-dir or QUIZ_HOME at a folder"
        )
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the folder {folder}: {exc.strerror or exc}") from None


def create_private_file(path: Path) -> None:
    """Create an empty database file readable by its owner only (0600), if there is none.

    SQLite gives its -wal and -shm files the database file's permissions, and backups
    are made the same way, so a learner's progress is never readable by other users.
    An existing file keeps the permissions its owner gave it.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError:
        return  # opening reports why (read-only, permission) in its own words
    os.close(fd)


def bad_url(url: str, exc: BaseException) -> str:
    """The sentence for a --db URL SQLAlchemy cannot use."""
    shown = _safe_url(url)
    name = type(exc).__name__
    if isinstance(exc, ModuleNotFoundError) or name == "NoSuchModuleError":
        scheme = url.split(":", 1)[0].lower()
        if scheme.startswith("postgres"):
            return (
                f"the PostgreSQL driver is not installed (for {shown}); install it with "
                "`pip install 'quiz[postgres]'` (psycopg 3), then use a postgresql+psycopg:// URL"
            )
        return (
            f"--db {shown}: quiz supports SQLite (sqlite:///PATH) and PostgreSQL "
            f"(postgresql+psycopg://USER@HOST/DB), not {scheme!r}"
        )
    return (
        f"--db {shown} is not a database URL; use sqlite:///PATH/quiz.sqlite3 or "
        "postgresql+psycopg://USER@HOST/DB"
    )


def _safe_url(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return repr(url)


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
    _refuse_tables(tables, _display(str(engine.url)))


def _refuse_tables(tables: set[str], shown: str) -> None:
    """A database without quiz's schema is only taken over when it holds no tables.

    Raises:
        StoreError: If it holds another program's tables.
    """
    if tables - {"sqlite_sequence"}:
        raise StoreError(
            f"{shown} holds tables but is not a quiz database; "
            "point --db or QUIZ_DB at another file"
        )


def _check_sqlite_file(path: Path) -> None:
    if not path.exists():
        return
    if path.is_dir():
        raise StoreError(f"{path} is a directory, not a database file")
    from quiz.files import InputFileError, check_regular

    try:
        check_regular(path, "database file")  # a FIFO or a device is never opened
        with path.open("rb") as fh:
            header = fh.read(16)
    except InputFileError as exc:
        raise StoreError(f"{exc.path}: {exc.message}") from None
    except OSError as exc:
        from quiz.store.health import access_problem

        found = access_problem(path)
        raise StoreError(
            found.sentence if found else f"cannot read {path}: {exc.strerror or exc}"
        ) from None
    if header and header != b"SQLite format 3\x00":
        raise StoreError(f"{path} is not a SQLite database; point --db or QUIZ_DB at another file")
    if header:
        _refuse_foreign_file(path)


def _refuse_foreign_file(path: Path) -> None:
    """Refuse another program's SQLite file before quiz's engine touches it: connecting
    switches a file to WAL, which rewrites its header.

    Raises:
        StoreError: If the file holds tables but no quiz schema.
    """
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        try:
            tables = {
                str(name)
                for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
        finally:
            conn.close()
    except sqlite3.Error:
        return  # unreadable or damaged: opening explains it in its own words
    if tables and "alembic_version" not in tables:
        _refuse_tables(tables, str(path))


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
    create_private_file(target)  # a backup holds the same progress: owner only (0600)
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
    return _safe_url(url)
