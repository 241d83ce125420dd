"""Answer ids are never reused: review_log's id becomes AUTOINCREMENT on SQLite.

Without AUTOINCREMENT, SQLite gives a new row the largest id in the table plus one,
so after an undo (which deletes the newest answer) the next answer got the undone
answer's id: an id kept anywhere (an export, an analysis) could then mean two
different answers. With AUTOINCREMENT SQLite remembers the largest id ever used
(in sqlite_sequence) and never hands it out again. PostgreSQL's sequences already
never reuse a value, so there the migration changes nothing.

On SQLite the table is rebuilt (batch mode) with every row and id kept; migrations
run with foreign keys off, so nothing that points at the log is touched.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "review_log", recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ):
        pass


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "review_log", recreate="always", table_kwargs={"sqlite_autoincrement": False}
    ):
        pass
