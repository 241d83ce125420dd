"""The open collection a command or the app works on: store, learner, settings and clock."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path

from sqlalchemy import select

from quiz.config import Settings
from quiz.domain.days import study_day
from quiz.domain.mcq import DEFAULT_SEED
from quiz.store.engine import Store, open_store
from quiz.store.queries import ensure_learner
from quiz.store.tables import learners

Clock = Callable[[], datetime]
"""Returns the current instant as a timezone-aware datetime."""


def system_clock() -> datetime:
    return datetime.now(UTC)


def local_timezone() -> tzinfo:
    tz = datetime.now().astimezone().tzinfo
    assert tz is not None
    return tz


def default_learner() -> str:
    """The OS user name, so each account on a shared machine gets its own progress."""
    try:
        return getpass.getuser() or "me"
    except (KeyError, OSError):  # no passwd entry (containers)
        return "me"


def _learner_id(store: Store, name: str, now: datetime) -> int:
    """The learner's id, creating the profile on first use.

    Every start but the first only reads: a write transaction would take the write lock
    (waiting behind another session's import or answer) and commit, for nothing.
    """
    with store.read() as conn:
        found = conn.execute(select(learners.c.id).where(learners.c.name == name)).scalar()
    if found is not None:
        return int(found)
    with store.write() as conn:
        return ensure_learner(conn, name, now)


@dataclass
class Quiz:
    """One learner's view of one database."""

    store: Store
    learner: str
    learner_id: int
    settings: Settings
    clock: Clock
    tz: tzinfo
    backup: Path | None = None
    """Where the database was backed up before a migration in this run, if it was."""

    shuffle_seed: str = DEFAULT_SEED
    """Seeds the order of multiple-choice options (with the learner, card and day)."""

    @classmethod
    def open(
        cls,
        url: str,
        *,
        learner: str | None = None,
        settings: Settings | None = None,
        clock: Clock = system_clock,
        tz: tzinfo | None = None,
        shuffle_seed: str = DEFAULT_SEED,
    ) -> Quiz:
        """Open (creating and migrating as needed) a database for a learner.

        Raises:
            quiz.store.engine.StoreError: If the database cannot be used.
        """
        now = clock()
        store, backup = open_store(url, now=now)
        name = learner or default_learner()
        learner_id = _learner_id(store, name, now)
        return cls(
            store,
            name,
            learner_id,
            settings or Settings(),
            clock,
            tz or local_timezone(),
            backup,
            shuffle_seed,
        )

    def explain(self, error: BaseException) -> str:
        """A sentence for an error met while working on this collection, for the app to show.

        Database errors (damaged, read-only, locked, disk full) become the same sentence
        the CLI prints, naming the file and the fix; never SQL or its parameters.
        """
        import sqlite3

        from sqlalchemy.exc import DBAPIError

        from quiz.store.engine import StoreError, describe

        if isinstance(error, StoreError):
            return str(error)
        if isinstance(error, DBAPIError | sqlite3.Error):
            return describe(error, self.store.url)
        text = str(error).strip().splitlines()
        return text[0] if text else type(error).__name__

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return study_day(self.clock(), self.tz, self.settings.rollover_hour)

    def tomorrow(self) -> date:
        return self.today() + timedelta(days=1)

    def close(self) -> None:
        self.store.dispose()
