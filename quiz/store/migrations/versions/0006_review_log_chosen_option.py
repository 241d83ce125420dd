"""Record which option a learner chose on a multiple-choice card.

The item analysis in `quiz report` counts, per option, how often strong and weak
learners chose it (a distractor that draws the strong ones marks a likely miskey).
The option is recorded by its identity (quiz.domain.mcq.option_identity), not by the
letter it was shown under, since each learner sees the options in their own order.

The column is added empty and nullable: answers given before this revision, and
answers to other note types, have no chosen option. Adding a nullable column is an
``ALTER TABLE ... ADD COLUMN`` on SQLite and PostgreSQL alike: no table is rebuilt
and every existing row stays as it was.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("review_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chosen_option", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("review_log", schema=None) as batch_op:
        batch_op.drop_column("chosen_option")
