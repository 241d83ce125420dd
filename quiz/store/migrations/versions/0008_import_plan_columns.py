"""What import plans need to remember: applied `from:` declarations and retired cards' faces.

``notes.moved_from`` holds, like ``reset_token``, the declaration the last import
applied: a re-import of the same file finds it unchanged and moves nothing again.
``cards.face_sha`` and ``cards.answer`` keep what a card asked (its question's SHA-256
and its answer) when it was retired, so that if it comes back after its note changed,
the plan can still say whether it asks the same thing. All are nullable and empty for
existing rows, so no row changes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("moved_from", sa.Text(), nullable=True))
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("face_sha", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("answer", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_column("answer")
        batch_op.drop_column("face_sha")
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.drop_column("moved_from")
