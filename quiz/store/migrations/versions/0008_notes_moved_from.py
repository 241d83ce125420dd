"""Remember each note's applied `from:` declaration, so a declared move happens once.

Like ``reset_token``, the column holds what the last import applied: a re-import of the
same file finds the same declaration and moves nothing again. Nullable and empty for
every existing note (none declared a move), so no row changes.

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("moved_from", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.drop_column("moved_from")
