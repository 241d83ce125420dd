"""Migrations keep every card state and log row, and a SQLite file is backed up before one runs.

For every released schema revision the suite builds a database with the
migrations themselves (``upgrade_to_head(engine, revision)``), fills it with
raw SQL written for that revision, opens it with the current quiz and checks
that every row of every table survived.

To exercise an upgrade that rebuilds tables, the later tests
copy the migrations to a temporary directory, add a test-only revision
that rebuilds the ``cards`` and ``learners`` tables (what Alembic's batch mode
does on SQLite for most column changes, and the riskiest thing a migration
can do there), and point quiz at the copy. The real migrations are not touched.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import create_engine

import quiz.store.engine as engine_module
import quiz.store.migrate as migrate_module
from quiz.cli import cli
from quiz.services import Quiz
from quiz.services.review import ReviewSession
from quiz.store import queries
from quiz.store.engine import HEAD_REVISION, StoreError, open_store
from quiz.store.migrate import alembic_config, upgrade_to_head

Snapshot = dict[str, list[dict[str, object]]]


def released_revisions() -> list[str]:
    """Every revision in the migrations directory, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def _fill_0001(conn: sqlite3.Connection) -> None:
    """Two learners' progress on two decks, with every column kind and NULLs, in 0001's shape."""
    _fill(conn, cards_have_deck=False)


def _fill_0005(conn: sqlite3.Connection) -> None:
    """0001's rows, each card with its note's deck (0005 copied it onto the cards)."""
    _fill(conn, cards_have_deck=True)


def _fill(conn: sqlite3.Connection, *, cards_have_deck: bool) -> None:
    conn.execute(
        "INSERT INTO learners (id, name, created_at) VALUES "
        "(1, 'ann', '2026-01-01 08:00:00.000000'), (2, 'bob ünï', '2026-01-02 09:00:00.000000')"
    )
    for deck in (1, 2):
        conn.execute(
            "INSERT INTO decks (id, key, title, description, version, sources, tags, file_sha256,"
            f" source_path, imported_at) VALUES ({deck}, 'd{deck}', 'Deck «{deck}»', '', '1',"
            ' \'[{"id": "b", "title": "B", "url": null}]\', \'[]\', NULL, NULL,'
            " '2026-01-01 08:00:00.000000')"
        )
    for n in range(1, 41):
        deck = 1 if n <= 25 else 2
        conn.execute(
            "INSERT INTO notes (id, deck_id, key, type, position, fields, tags, source_id,"
            " source_section, extra, facts, reset_token, content_hash, retired_at)"
            " VALUES (?, ?, ?, 'basic', ?, ?, '[\"t\"]', NULL, NULL, ?, '[]', NULL, ?, ?)",
            (
                n,
                deck,
                f"n{n}",
                n,
                f'{{"front": "Q{n} ☃", "back": "A{n}"}}',
                None if n % 3 else "extra\nline",
                f"{n:064x}",
                "2026-02-01 00:00:00.000000" if n == 40 else None,
            ),
        )
        card: dict[str, object] = {"id": n, "note_id": n, "ord": 0}
        card["retired_at"] = "2026-02-01 00:00:00.000000" if n == 40 else None
        if cards_have_deck:
            card["deck_id"] = deck
        _insert(conn, "cards", **card)
        conn.execute("INSERT INTO note_tags (note_id, tag) VALUES (?, 't')", (n,))
    log_id = 0
    for learner in (1, 2):
        for card in range(1, 41, learner):
            ef, interval, reps, due = 250, 0, 0, None
            day = date(2026, 1, 1) + timedelta(days=card % 7)
            for q in (5, 4, 2, 3)[: 1 + card % 4]:
                log_id += 1
                new_ef = max(130, ef + 10 - (5 - q) * (8 + 2 * (5 - q)))
                new_reps = reps + 1 if q >= 3 else 0
                new_interval = {1: 1, 2: 6}.get(new_reps, -(-interval * ef // 100)) or 1
                new_due = day + timedelta(days=new_interval)
                _insert(
                    conn,
                    "review_log",
                    id=log_id,
                    learner_id=learner,
                    card_id=card,
                    reviewed_at=f"{day} 12:00:00.000000",
                    study_day=str(day),
                    quality=q,
                    scheduled=1,
                    duration_ms=1000 + log_id,
                    ef_before=ef,
                    ef_after=new_ef,
                    interval_before=interval,
                    interval_after=new_interval,
                    repetitions_before=reps,
                    repetitions_after=new_reps,
                    lapses_before=0,
                    lapses_after=0,
                    due_before=None if due is None else str(due),
                    due_after=str(new_due),
                    last_review_before=None if due is None else str(day - timedelta(days=1)),
                    redrill_before=0,
                    redrill_after=int(q < 4),
                    leech_before=0,
                    leech_after=0,
                    suspended_before=0,
                    suspended_after=0,
                )
                ef, interval, reps, due = new_ef, new_interval, new_reps, new_due
                day = new_due
            _insert(
                conn,
                "card_states",
                learner_id=learner,
                card_id=card,
                ef=ef,
                interval=interval,
                repetitions=reps,
                lapses=0,
                due=str(due),
                last_review=str(day),
                redrill=int(card % 5 == 0),
                leech=0,
                suspended=int(card % 7 == 0),
                buried_until=str(day) if card % 11 == 0 else None,
                flagged_at="2026-03-01 10:00:00.000000" if card % 13 == 0 else None,
                flag_note="typo?" if card % 13 == 0 else None,
            )


def _insert(conn: sqlite3.Connection, table: str, **values: object) -> None:
    names = ", ".join(values)
    marks = ", ".join("?" * len(values))
    conn.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(values.values()))


FILLERS: dict[str, Callable[[sqlite3.Connection], None]] = {
    "0001": _fill_0001,
    "0002": _fill_0001,  # 0002 only added an index: the rows are 0001's
    "0003": _fill_0001,  # 0003 only swapped an index on review_log
    "0004": _fill_0001,  # 0004 only swapped indexes on card_states
    "0005": _fill_0005,
    "0006": _fill_0005,  # 0006 only added review_log.chosen_option, empty for old rows
    "0007": _fill_0005,  # 0007 only rebuilt review_log with AUTOINCREMENT ids
    "0008": _fill_0005,  # 0008 only added the nullable notes.moved_from
}
"""How to fill a database at each released revision; a new migration needs an entry here."""


def build(path: Path, revision: str) -> Snapshot:
    """A database at ``revision``, made by the migrations and filled; returns its rows."""
    engine = create_engine(f"sqlite:///{path}")
    upgrade_to_head(engine, revision)
    engine.dispose()
    conn = sqlite3.connect(path)
    with conn:
        FILLERS[revision](conn)
    conn.close()
    return snapshot(path)


def snapshot(path: Path) -> Snapshot:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' AND name != 'alembic_version' ORDER BY name"
            )
        ]
        return {
            t: [dict(r) for r in conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid')]
            for t in tables
        }
    finally:
        conn.close()


def revision_of(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("SELECT version_num FROM alembic_version").fetchone()[0])
    finally:
        conn.close()


def assert_kept(old: Snapshot, new: Snapshot) -> int:
    """Every old row is still there with every old column's value; returns rows compared."""
    compared = 0
    for table, rows in old.items():
        assert table in new, f"table {table} disappeared"
        assert len(new[table]) == len(rows), f"{table}: {len(rows)} rows became {len(new[table])}"
        for before, after in zip(rows, new[table], strict=True):
            assert {k: after.get(k) for k in before} == before, table
            compared += 1
    return compared


def test_every_revision_has_a_fixture_builder() -> None:
    assert released_revisions()[-1] == HEAD_REVISION
    assert set(released_revisions()) == set(FILLERS), "add a filler for the new revision"


@pytest.mark.parametrize("revision", released_revisions())
def test_a_database_of_each_released_revision_opens_with_every_row(
    tmp_path: Path, revision: str
) -> None:
    path = tmp_path / "quiz.sqlite3"
    old = build(path, revision)
    assert len(old["review_log"]) > 100 and len(old["card_states"]) == 60
    store, backup = open_store(f"sqlite:///{path}", now=datetime(2026, 11, 22, 9, 30))
    store.dispose()
    assert (backup is None) == (revision == HEAD_REVISION)
    assert revision_of(path) == HEAD_REVISION
    new = snapshot(path)
    assert_kept(old, new)
    # Each card is filed under its note's deck, whichever revision added the column.
    deck_of_note = {note["id"]: note["deck_id"] for note in new["notes"]}
    assert [c["deck_id"] for c in new["cards"]] == [
        deck_of_note[c["note_id"]] for c in new["cards"]
    ]
    assert {c["deck_id"] for c in new["cards"]} == {1, 2}
    # And the current code reads it: ann's card 2 has the state the old file held.
    quiz = Quiz.open(f"sqlite:///{path}", learner="ann", tz=UTC)
    try:
        with quiz.store.read() as conn:
            state = queries.get_state(conn, quiz.learner_id, 2)
        row = next(r for r in old["card_states"] if (r["learner_id"], r["card_id"]) == (1, 2))
        assert (state.ef, state.interval, state.due) == (
            row["ef"],
            row["interval"],
            date.fromisoformat(str(row["due"])),
        )
        assert ReviewSession.start(quiz).total >= 0
    finally:
        quiz.close()


NEXT = f"{int(HEAD_REVISION) + 1:04d}"
"""The test-only revision after the real head."""

REBUILD = f'''"""Test only: rebuild cards and learners, as batch mode does on SQLite."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "{NEXT}"
down_revision = "{HEAD_REVISION}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cards", recreate="always") as batch:
        batch.add_column(sa.Column("test_only", sa.Text(), nullable=True))
    with op.batch_alter_table("learners", recreate="always") as batch:
        batch.add_column(sa.Column("test_only", sa.Text(), nullable=True))


def downgrade() -> None:
    pass
'''


def _install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str) -> str:
    """Make quiz believe a revision after the head exists, in a copy of the migrations."""
    copy = tmp_path / "migrations"
    shutil.copytree(migrate_module.MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "versions" / f"{NEXT}_test_only.py").write_text(source, encoding="utf-8")
    monkeypatch.setattr(migrate_module, "MIGRATIONS", copy)
    monkeypatch.setattr(engine_module, "HEAD_REVISION", NEXT)
    return NEXT


@pytest.fixture
def next_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return _install(tmp_path, monkeypatch, REBUILD)


def test_an_upgrade_that_leaves_dangling_rows_is_reported_with_the_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A buggy migration (foreign keys are off while it runs) cannot pass silently."""
    buggy = REBUILD.replace(
        'with op.batch_alter_table("cards", recreate="always") as batch:',
        'op.execute("DELETE FROM cards WHERE id = 1")\n'
        '    with op.batch_alter_table("cards", recreate="always") as batch:',
    )
    _install(tmp_path, monkeypatch, buggy)
    path = tmp_path / "quiz.sqlite3"
    old = build(path, HEAD_REVISION)
    with pytest.raises(StoreError, match=r"left \d+ row\(s\) pointing at missing rows"):
        open_store(f"sqlite:///{path}", now=datetime(2026, 11, 22, 9, 30))
    [backup] = tmp_path.glob("quiz.sqlite3.backup-*")
    assert snapshot(backup) == old


def test_upgrading_backs_up_first_and_a_table_rebuild_keeps_all_progress(
    tmp_path: Path, next_revision: str
) -> None:
    path = tmp_path / "quiz.sqlite3"
    old = build(path, HEAD_REVISION)
    store, backup = open_store(f"sqlite:///{path}", now=datetime(2026, 11, 22, 9, 30))
    store.dispose()
    # The backup is the old file, complete, beside it and named by the time of the upgrade.
    assert backup == tmp_path / "quiz.sqlite3.backup-20261122T093000"
    assert revision_of(backup) == HEAD_REVISION
    assert snapshot(backup) == old
    # The upgraded file has every card state and log row (rebuilding `cards` must not
    # cascade-delete the rows that reference it).
    assert revision_of(path) == next_revision
    new = snapshot(path)
    assert "test_only" in new["cards"][0]
    assert assert_kept(old, new) == sum(len(rows) for rows in old.values())


def test_the_cli_says_where_the_backup_is(
    tmp_path: Path, next_revision: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "quiz.sqlite3"
    build(path, HEAD_REVISION)
    monkeypatch.setenv("QUIZ_DB", f"sqlite:///{path}")
    monkeypatch.setenv("QUIZ_HOME", str(tmp_path))
    result = CliRunner().invoke(cli, ["suspended"])
    assert result.exit_code == 0, result.output
    backups = list(tmp_path.glob("quiz.sqlite3.backup-*"))
    assert len(backups) == 1
    assert f"database upgraded; the old version is saved at {backups[0]}" in result.output
    assert revision_of(backups[0]) == HEAD_REVISION
