"""What is wrong with a database, in words a learner can act on: damaged, read-only,
permission, locked, disk full or unreachable, each with the file and the fix.

One place turns SQLite's and PostgreSQL's errors into those sentences, for the
CLI (`quiz: error: ...`), `quiz doctor` and the review app's notices alike, so
none of them ever shows SQL, parameters or a traceback.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Trouble(StrEnum):
    DAMAGED = "damaged"
    READ_ONLY = "read-only"
    PERMISSION = "permission"
    LOCKED = "locked"
    DISK_FULL = "disk full"
    UNREACHABLE = "unreachable"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Diagnosis:
    trouble: Trouble
    sentence: str
    """What is wrong and what to do, naming the file (or the server)."""


_DAMAGE = ("malformed", "file is not a database", "database disk image", "corrupt")
_READ_ONLY = ("readonly database", "read-only", "read only")
_LOCKED = ("database is locked", "database table is locked", "busy")
_FULL = ("database or disk is full", "disk is full", "no space left")
_OPEN = ("unable to open database file",)
_UNREACHABLE = ("connection refused", "could not connect", "could not translate host", "timeout")


def _message(exc: BaseException) -> str:
    """The driver's message, first line only: SQLAlchemy appends the SQL and parameters."""
    text = str(getattr(exc, "orig", None) or exc)
    return text.splitlines()[0] if text.strip() else type(exc).__name__


def classify(exc: BaseException) -> Trouble:
    """What kind of trouble a database error is, from the driver's own message."""
    text = _message(exc).lower()
    for words, trouble in (
        (_DAMAGE, Trouble.DAMAGED),
        (_FULL, Trouble.DISK_FULL),
        (_LOCKED, Trouble.LOCKED),
        (_READ_ONLY, Trouble.READ_ONLY),
        (_OPEN, Trouble.PERMISSION),
        (_UNREACHABLE, Trouble.UNREACHABLE),
    ):
        if any(w in text for w in words):
            return trouble
    if "i/o error" in text:
        return Trouble.DISK_FULL if _is_full(text) else Trouble.DAMAGED
    return Trouble.OTHER


def _is_full(text: str) -> bool:
    return "full" in text or "space" in text


def filesystem_read_only(path: Path) -> bool:
    """Whether the file system holding path (or its nearest existing folder) is mounted
    read-only."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return bool(os.statvfs(probe).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def access_problem(path: Path) -> Diagnosis | None:
    """Why quiz could not write the SQLite file at path (or create it), if it could not.

    Tells a read-only file system (remount, or copy the file elsewhere) from missing
    permission on the file or its folder (chmod), since SQLite needs to create its
    -wal and -shm files beside the database.
    """
    folder = path.parent
    if filesystem_read_only(path):
        return Diagnosis(
            Trouble.READ_ONLY,
            f"{path} is on a read-only file system, so quiz cannot save progress; remount it "
            "writable, or copy the file to a writable folder and point --db or QUIZ_DB at it",
        )
    if path.exists() and not os.access(path, os.R_OK):
        return Diagnosis(
            Trouble.PERMISSION,
            f"no permission to read {path}; make it readable by you (chmod u+rw) or run quiz "
            "as its owner",
        )
    if path.exists() and not os.access(path, os.W_OK):
        return Diagnosis(
            Trouble.PERMISSION,
            f"no permission to write {path} (or the file is immutable); make it writable "
            "(chmod u+w, chattr -i) or run quiz as its owner",
        )
    if folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
        return Diagnosis(
            Trouble.PERMISSION,
            f"no permission to write in {folder}, where SQLite keeps {path.name}'s journal; "
            "make the folder writable by you (chmod u+rwx)",
        )
    return None


def diagnose(exc: BaseException, where: str, path: Path | None = None) -> Diagnosis:
    """The sentence for a database error on the database ``where`` (a file or a URL)."""
    trouble = classify(exc)
    detail = _message(exc)
    if path is not None and trouble in (Trouble.READ_ONLY, Trouble.PERMISSION, Trouble.OTHER):
        found = access_problem(path)
        if found is not None:
            return found
    if trouble is Trouble.DAMAGED:
        return Diagnosis(
            trouble,
            f"the database file {where} is damaged ({detail}); nothing more was written to "
            "it. Run `quiz doctor --check-only` to see the backups to restore",
        )
    if trouble is Trouble.LOCKED:
        return Diagnosis(
            trouble,
            f"the database {where} is locked by another program (waited 10 s); close other "
            "quiz sessions or programs using it, then try again",
        )
    if trouble is Trouble.DISK_FULL:
        return Diagnosis(
            trouble,
            f"the disk holding {where} is full; nothing was saved by this step. Free some "
            "space, then try again",
        )
    if trouble is Trouble.READ_ONLY:
        return Diagnosis(
            trouble,
            f"{where} cannot be written ({detail}); make the file and its folder writable, "
            "or point --db or QUIZ_DB at a writable copy",
        )
    if trouble is Trouble.PERMISSION:
        return Diagnosis(
            trouble,
            f"cannot open {where} ({detail}); check that its folder exists and that you may "
            "read and write it",
        )
    if trouble is Trouble.UNREACHABLE:
        return Diagnosis(
            trouble,
            f"cannot reach the database server for {where} ({detail}); check that it is "
            "running and that the URL's host and port are right",
        )
    return Diagnosis(
        trouble,
        f"the database {where} reported an error ({detail}); run `quiz doctor --check-only`",
    )


def quick_check(path: Path) -> list[str]:
    """SQLite's quick_check of a file, read-only (empty when it is fine).

    Opens with ``mode=ro`` so that checking never writes; on a read-only file system
    or folder, where SQLite cannot create the WAL index, with ``immutable=1`` (nothing
    can be writing the file there). Raises nothing: an unreadable file is reported by
    `access_problem` instead, and here as no damage.
    """
    return _pragma(path, "quick_check(20)")


def integrity_check(path: Path) -> list[str]:
    """SQLite's full integrity_check, read-only, as `quick_check`."""
    return _pragma(path, "integrity_check(100)")


def _pragma(path: Path, pragma: str) -> list[str]:
    if not path.is_file():
        return []
    uri = path.absolute().as_uri()
    modes = ["?mode=ro"]
    if filesystem_read_only(path) or not os.access(path.parent, os.W_OK | os.X_OK):
        modes = ["?immutable=1"]
    for mode in modes:
        try:
            conn = sqlite3.connect(uri + mode, uri=True)
            try:
                rows = [str(r[0]) for r in conn.execute(f"PRAGMA {pragma}")]
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            if classify(exc) is Trouble.DAMAGED:
                return [str(exc)]
            return []  # not damage: unreadable, locked...; the caller finds out when it opens
        if rows == ["ok"]:
            return []
        # One row can hold several lines; the "*** in database main ***" headings say nothing.
        return [ln for row in rows for ln in row.splitlines() if ln and not ln.startswith("***")]
    return []
