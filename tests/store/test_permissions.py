"""Private files: a new data directory is 0700, the database, its WAL/SHM and backups 0600."""

from __future__ import annotations

import os
import stat
from datetime import datetime
from pathlib import Path

from click.testing import CliRunner

from quiz.cli import cli
from quiz.services import Quiz
from quiz.store.engine import backup_sqlite
from tests.conftest import TINY


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_collection_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask, which would give 0755 and 0644
    try:
        home = tmp_path / "a" / "home"
        db = home / "quiz.sqlite3"
        quiz = Quiz.open(f"sqlite:///{db}", learner="ann")
        try:
            from quiz.services.decks import import_files

            import_files(quiz, [TINY])
            assert mode(home) == 0o700
            assert mode(db) == 0o600
            for suffix in ("-wal", "-shm"):
                side = db.with_name(db.name + suffix)
                assert side.exists() and mode(side) == 0o600, suffix
            backup = backup_sqlite(db, datetime(2026, 12, 6, 5, 0))
            assert mode(backup) == 0o600
        finally:
            quiz.close()
    finally:
        os.umask(old)


def test_existing_files_keep_the_permissions_their_owner_gave(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    db = home / "quiz.sqlite3"
    Quiz.open(f"sqlite:///{db}", learner="ann").close()
    db.chmod(0o644)
    Quiz.open(f"sqlite:///{db}", learner="ann").close()
    assert mode(home) == 0o755 and mode(db) == 0o644


def test_doctor_notes_files_other_users_can_read(tmp_path: Path) -> None:
    db = tmp_path / "quiz.sqlite3"
    Quiz.open(f"sqlite:///{db}", learner="ann").close()
    runner = CliRunner(env={"QUIZ_DB": f"sqlite:///{db}", "QUIZ_CONFIG": "", "QUIZ_HOME": ""})
    quiet = runner.invoke(cli, ["doctor", "--check-only"])
    assert quiet.exit_code == 0 and "readable by other users" not in quiet.output
    db.chmod(0o644)
    loud = runner.invoke(cli, ["doctor", "--check-only"])
    assert loud.exit_code == 0, loud.output  # a note, not a problem
    assert f"readable by other users: {db}" in loud.output
    assert f"chmod 600 {db}" in loud.output
