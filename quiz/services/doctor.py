"""Database checks and safe repairs behind `quiz doctor`, in the spirit of Anki's Check Database.

What is checked:

* SQLite's own ``PRAGMA integrity_check`` (a damaged file is never repaired in
  place: quiz points at the backups and SQLite's ``.recover`` instead);
* orphans: rows whose learner, card, note or deck is missing (possible only if
  the file was edited with foreign keys off, e.g. in the sqlite3 shell);
* card states that disagree with the review log;
* retired notes whose cards were left live;
* cards filed under another deck than their note's (``cards.deck_id`` is a copy).

What is repaired, always after a backup of a SQLite file and in one
transaction: a missing learner is recreated as ``recovered-<id>`` so that its
progress is kept; rows under a missing deck, note or card can never be shown
again and are deleted (the backup keeps them); a disagreeing card state is set
from the card's latest review-log row; a retired note's live cards are retired; a
card is filed under its note's deck again.

Card states are repaired from the latest log row rather than by replaying the
whole log through SM-2: each row records the state the learner was actually
given, under the leech settings and scheduler of that day, so the latest row
is the truth even if those settings changed since, and it stays the truth
after an instructor's `reset` (which forgets states but keeps the log).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Table,
    and_,
    delete,
    func,
    insert,
    select,
    update,
)

from quiz.domain.sm2 import CardState
from quiz.store.engine import Store, backup_sqlite, sqlite_path
from quiz.store.tables import card_states, cards, decks, learners, note_tags, notes, review_log


class Level(StrEnum):
    PROBLEM = "problem"
    """Wrong data: exit status 1 unless it was repaired."""

    NOTE = "note"
    """Unusual but deliberately left alone; does not fail the check."""


@dataclass
class Finding:
    """One kind of problem, with how many rows have it."""

    check: str
    """A stable key, e.g. ``orphans:review_log.card_id``."""

    message: str
    count: int
    level: Level = Level.PROBLEM
    repairable: bool = True
    repaired: bool = False
    repair: str = ""
    """What the repair does (or did), for the report."""

    def __str__(self) -> str:
        return f"{self.level}: {self.message}"


@dataclass
class DoctorReport:
    """What `quiz doctor` found and did."""

    database: str
    findings: list[Finding] = field(default_factory=list)
    backup: Path | None = None
    removed: dict[str, int] = field(default_factory=dict)
    """Rows deleted per table by the repair (cascades included)."""

    checked: dict[str, int] = field(default_factory=dict)
    """Rows examined per table."""

    backups: list[Path] = field(default_factory=list)
    """Existing backups of a damaged file, newest first."""

    @property
    def remaining(self) -> list[Finding]:
        return [f for f in self.findings if f.level is Level.PROBLEM and not f.repaired]

    @property
    def ok(self) -> bool:
        return not self.remaining


# --- SQLite file integrity ------------------------------------------------------------------


def sqlite_damage(path: Path) -> list[str]:
    """What SQLite's integrity check says is wrong with a database file (empty when it is fine).

    Only reads (see `quiz.store.health.integrity_check`), so that a damaged file is
    looked at before quiz opens it (which would migrate and write to it), and a
    file on a read-only mount or without write permission is checked, not called
    damaged for being unwritable.
    """
    from quiz.store.health import integrity_check

    return integrity_check(path)


def access_report(path: Path, sentence: str) -> DoctorReport:
    """The report for a sound file quiz cannot write: the fix is access, not a backup."""
    finding = Finding(
        "access",
        sentence,
        1,
        repairable=False,
        repair=(
            "SQLite's integrity check found the file itself sound: do not restore a backup "
            "(it would replace current progress with an older copy); fix the access instead"
        ),
    )
    return DoctorReport(str(path), [finding, *exposure_findings(path)])


def exposure_findings(path: Path) -> list[Finding]:
    """Notes for a database, its WAL/SHM files, backups and folder that other users can read."""
    import stat

    found: list[Finding] = []
    candidates = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    candidates += backups_of(path)
    exposed = []
    for item in candidates:
        try:
            mode = item.stat().st_mode
        except OSError:
            continue
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            exposed.append(item)
    if exposed:
        names = " ".join(shlex.quote(str(p)) for p in exposed)
        found.append(
            Finding(
                "permissions",
                f"readable by other users: {names}",
                len(exposed),
                level=Level.NOTE,
                repairable=False,
                repair=f"on a shared machine, make them private: chmod 600 {names}",
            )
        )
    return found


def backups_of(path: Path) -> list[Path]:
    """Backups quiz made of a database file, newest first."""
    return sorted(path.parent.glob(f"{path.name}.backup-*"), reverse=True)


def damaged_report(path: Path, damage: list[str]) -> DoctorReport:
    """The report for a file SQLite itself says is damaged: nothing is repaired in place."""
    shown = damage[0] + (f" (and {len(damage) - 1} more)" if len(damage) > 1 else "")
    finding = Finding(
        "integrity",
        f"the database file is damaged: {shown}",
        len(damage),
        repairable=False,
        repair=(
            "not repaired in place: restore a backup (copy it over the file while quiz is "
            f"closed), or salvage the rest with `sqlite3 {shlex.quote(str(path))} .recover "
            "| sqlite3 recovered.db`"
        ),
    )
    return DoctorReport(str(path), [finding], backups=backups_of(path))


# --- the checks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Link:
    """A reference from one table to another that must point at an existing row."""

    child: Table
    column: str
    parent: Table
    what: str
    fix: str
    """How the repair treats the orphans: "recreate" the parent, "delete" the children, or
    "refile" them (set a card's deck from its note)."""

    among: ColumnElement[bool] | None = None
    """Only these children can be orphans (the others are another link's)."""

    @property
    def check(self) -> str:
        return f"orphans:{self.child.name}.{self.column}"

    def orphans(self) -> Any:
        col: Column[Any] = self.child.c[self.column]
        missing = col.not_in(select(self.parent.c.id))
        return missing if self.among is None else and_(missing, self.among)


def _sound_notes() -> Any:
    """Notes of a deck that exists: the others are removed with their cards."""
    return select(notes.c.id).where(notes.c.deck_id.in_(select(decks.c.id)))


def _note_deck() -> Any:
    return select(notes.c.deck_id).where(notes.c.id == cards.c.note_id).scalar_subquery()


# Parents first: deleting a note whose deck is missing removes its cards, and those
# would otherwise be reported a second time as cards without a note.
LINKS = (
    _Link(notes, "deck_id", decks, "note(s) belong to a deck that does not exist", "delete"),
    _Link(note_tags, "note_id", notes, "tag row(s) belong to a note that does not exist", "delete"),
    _Link(cards, "note_id", notes, "card(s) belong to a note that does not exist", "delete"),
    # A card whose note is sound is kept, its progress with it: only the copy of the
    # note's deck is wrong. A card of an unsound note goes with its note.
    _Link(
        cards,
        "deck_id",
        decks,
        "card(s) are filed under a deck that does not exist",
        "refile",
        among=cards.c.note_id.in_(_sound_notes()),
    ),
    _Link(card_states, "learner_id", learners, "card state(s) of a missing learner", "recreate"),
    _Link(review_log, "learner_id", learners, "review-log row(s) of a missing learner", "recreate"),
    _Link(card_states, "card_id", cards, "card state(s) of a card that does not exist", "delete"),
    _Link(
        review_log, "card_id", cards, "review-log row(s) of a card that does not exist", "delete"
    ),
)
"""Every foreign key in the schema (a test checks that none is missing)."""

_COMPARED = ("ef", "interval", "repetitions", "lapses", "due", "last_review", "redrill", "leech")
# `suspended` is not compared: learners suspend and unsuspend cards without answering them.


def _expected(row: Any) -> dict[str, Any]:
    """The state a card has after its latest review-log row."""
    return {
        "ef": row.ef_after,
        "interval": row.interval_after,
        "repetitions": row.repetitions_after,
        "lapses": row.lapses_after,
        "due": row.due_after,
        "last_review": row.study_day,
        "redrill": bool(row.redrill_after),
        "leech": bool(row.leech_after),
    }


_NEW = {c: getattr(CardState(), c) for c in _COMPARED}
"""The compared columns of a card never answered (or reset by its instructor)."""


@dataclass
class _StateCheck:
    wrong: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)
    """(learner, card, state from the log) for states that disagree with the log."""

    missing: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)
    """(learner, card, state from the log) for answered cards with no state at all."""

    unexplained: int = 0
    """States with progress but no review log at all."""

    checked: int = 0


def _check_states(conn: Connection) -> _StateCheck:
    result = _StateCheck()
    latest_ids = (
        select(func.max(review_log.c.id))
        .group_by(review_log.c.learner_id, review_log.c.card_id)
        .scalar_subquery()
    )
    # Rows of cards that do not exist are orphans, reported (and removed) as such.
    real = select(cards.c.id)
    latest = {
        (r.learner_id, r.card_id): r
        for r in conn.execute(
            select(review_log).where(
                review_log.c.id.in_(latest_ids), review_log.c.card_id.in_(real)
            )
        )
    }
    states = {
        (r.learner_id, r.card_id): r
        for r in conn.execute(select(card_states).where(card_states.c.card_id.in_(real)))
    }
    resettable = {
        int(card_id)
        for (card_id,) in conn.execute(
            select(cards.c.id)
            .join(notes, notes.c.id == cards.c.note_id)
            .where(notes.c.reset_token.is_not(None))
        )
    }
    for key in latest.keys() | states.keys():
        result.checked += 1
        row, state = latest.get(key), states.get(key)
        actual = None if state is None else {c: getattr(state, c) for c in _COMPARED}
        if row is None:
            if actual is not None and actual["last_review"] is not None:
                result.unexplained += 1
            continue
        expected = _expected(row)
        if actual == expected:
            continue
        # An instructor's reset forgets the states of a note's cards and keeps their log.
        if (actual is None or actual == _NEW) and key[1] in resettable:
            continue
        if actual is None:
            expected["suspended"] = bool(row.suspended_after)
            result.missing.append((*key, expected))
        else:
            result.wrong.append((*key, expected))
    return result


def _live_cards_of_retired_notes() -> Any:
    return select(cards.c.id).where(
        cards.c.retired_at.is_(None),
        cards.c.note_id.in_(select(notes.c.id).where(notes.c.retired_at.is_not(None))),
    )


def _misfiled_cards() -> Any:
    """Cards filed under another existing deck than their note's (a missing deck is an
    orphan, reported as such)."""
    return select(cards.c.id).where(
        cards.c.deck_id.in_(select(decks.c.id)), cards.c.deck_id != _note_deck()
    )


def _refile_cards(conn: Connection) -> None:
    """File every card of a sound note under its note's deck."""
    conn.execute(
        update(cards)
        .where(cards.c.note_id.in_(_sound_notes()), cards.c.deck_id != _note_deck())
        .values(deck_id=_note_deck())
    )


def _count(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


_LINK_REPAIRS = {
    "recreate": "recreate the missing learner(s) as 'recovered-<id>' to keep this progress",
    "delete": "delete them: they can never be shown again (the backup keeps them)",
    "refile": "file them under their note's deck",
}


def examine(conn: Connection) -> tuple[list[Finding], dict[str, int]]:
    """Every problem in the data (not the file), and how many rows of each table were looked at."""
    findings: list[Finding] = []
    checked = {
        t.name: _count(conn, t) for t in (learners, decks, notes, cards, card_states, review_log)
    }
    for link in LINKS:
        count = int(
            conn.execute(
                select(func.count()).select_from(link.child).where(link.orphans())
            ).scalar_one()
        )
        if count:
            repair = _LINK_REPAIRS[link.fix]
            findings.append(Finding(link.check, f"{count} {link.what}", count, repair=repair))
    live = int(
        conn.execute(
            select(func.count()).select_from(_live_cards_of_retired_notes().subquery())
        ).scalar_one()
    )
    if live:
        findings.append(
            Finding(
                "retired-cards",
                f"{live} card(s) of retired notes are still live",
                live,
                repair="retire them with their note",
            )
        )
    misfiled = int(
        conn.execute(select(func.count()).select_from(_misfiled_cards().subquery())).scalar_one()
    )
    if misfiled:
        findings.append(
            Finding(
                "card-decks",
                f"{misfiled} card(s) are filed under another deck than their note's",
                misfiled,
                repair="file them under their note's deck",
            )
        )
    states = _check_states(conn)
    checked["answered cards"] = states.checked
    if states.wrong:
        findings.append(
            Finding(
                "card-states",
                f"{len(states.wrong)} card state(s) disagree with the card's latest review-log row",
                len(states.wrong),
                repair="set them from the latest review-log row",
            )
        )
    if states.missing:
        findings.append(
            Finding(
                "missing-states",
                f"{len(states.missing)} answered card(s) have no scheduling state",
                len(states.missing),
                repair="rebuild them from the latest review-log row",
            )
        )
    if states.unexplained:
        findings.append(
            Finding(
                "states-without-log",
                f"{states.unexplained} card state(s) show progress but have no review log",
                states.unexplained,
                level=Level.NOTE,
                repairable=False,
                repair="kept: the state is the only record of that progress",
            )
        )
    return findings, checked


# --- the repairs ----------------------------------------------------------------------------


def _recreate_learners(conn: Connection, link: _Link, now: datetime) -> None:
    # Under the old id, so the orphaned rows are theirs again. Only SQLite can get here
    # (PostgreSQL never lets the learner go), so the explicit id needs no sequence fix.
    column: Column[Any] = link.child.c[link.column]
    missing = conn.execute(select(column).distinct().where(link.orphans())).scalars().all()
    taken = set(conn.execute(select(learners.c.name)).scalars())
    for learner_id in missing:
        name = f"recovered-{learner_id}"
        while name in taken:
            name += "-x"
        taken.add(name)
        conn.execute(insert(learners).values(id=learner_id, name=name, created_at=now))


def _repair(conn: Connection, findings: list[Finding], now: datetime) -> dict[str, int]:
    """Apply every repair for ``findings``; returns rows deleted per table."""
    tables = (notes, note_tags, cards, card_states, review_log)
    before = {t.name: _count(conn, t) for t in tables}
    found = {f.check for f in findings}
    for link in LINKS:
        if link.check not in found:
            continue
        if link.fix == "recreate":
            _recreate_learners(conn, link, now)
        elif link.fix == "refile":
            _refile_cards(conn)
        else:
            conn.execute(delete(link.child).where(link.orphans()))
    if "card-decks" in found:
        _refile_cards(conn)
    if "retired-cards" in found:
        retired_at = (
            select(notes.c.retired_at).where(notes.c.id == cards.c.note_id).scalar_subquery()
        )
        conn.execute(
            update(cards)
            .where(cards.c.id.in_(_live_cards_of_retired_notes()))
            .values(retired_at=retired_at)
        )
    if found & {"card-states", "missing-states"}:
        states = _check_states(conn)
        for learner_id, card_id, values in states.wrong:
            conn.execute(
                update(card_states)
                .where(card_states.c.learner_id == learner_id, card_states.c.card_id == card_id)
                .values(**values)
            )
        for learner_id, card_id, values in states.missing:
            conn.execute(
                insert(card_states).values(learner_id=learner_id, card_id=card_id, **values)
            )
    after = {t.name: _count(conn, t) for t in tables}
    return {name: before[name] - after[name] for name in before if before[name] > after[name]}


def run_doctor(
    store: Store,
    *,
    repair: bool,
    now: datetime,
    check_file: bool = True,
    on_backup: Callable[[Path], None] | None = None,
) -> DoctorReport:
    """Check a database and, if asked, repair what can be repaired safely.

    Args:
        store: The open database.
        repair: Repair problems (after a backup of a SQLite file), or only report them.
        now: The time, for the backup's name and recreated learners.
        check_file: Run SQLite's integrity check first (the CLI runs it before opening).
        on_backup: Called with the backup's path as soon as it is written.
    """
    path = sqlite_path(store.url)
    report = DoctorReport(str(path) if path is not None else store.url)
    if check_file and path is not None:
        damage = sqlite_damage(path)
        if damage:
            return damaged_report(path, damage)
    with store.read() as conn:
        findings, report.checked = examine(conn)
    if path is not None:
        findings += exposure_findings(path)
    report.findings = findings
    if not repair or not any(f.repairable and f.level is Level.PROBLEM for f in findings):
        return report
    if path is not None:
        report.backup = backup_sqlite(path, now)
        if on_backup is not None:
            on_backup(report.backup)
    with store.write() as conn:
        # Look again under the write lock: a review session may have answered meanwhile.
        findings, _ = examine(conn)
        report.removed = _repair(conn, findings, now)
    with store.read() as conn:
        left, _ = examine(conn)
    still = {f.check for f in left}
    for f in findings:
        f.repaired = f.repairable and f.check not in still
    report.findings = findings + [f for f in left if f.check not in {g.check for g in findings}]
    return report
