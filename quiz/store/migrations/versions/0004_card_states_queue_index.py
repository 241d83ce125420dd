"""Index card states with what today's queue reads: the day's counts come off indexes alone.

Today's reviews and tomorrow's count read every card due by then and keep those that
are not suspended, buried or already studied today. With those columns (and the card
id) in the due index, SQLite never visits the card_states rows to find them. The new
index replaces ix_card_states_due, whose columns it starts with, so an answer still
updates one due index rather than two.

The last-review index gains the card id for the same reason (the notes studied today).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

QUEUE_COLUMNS = ["learner_id", "due", "suspended", "buried_until", "last_review", "card_id"]


def upgrade() -> None:
    with op.batch_alter_table("card_states", schema=None) as batch_op:
        batch_op.create_index("ix_card_states_queue", QUEUE_COLUMNS, unique=False)
        batch_op.drop_index("ix_card_states_due")
        batch_op.drop_index("ix_card_states_last_review")
        batch_op.create_index(
            "ix_card_states_last_review", ["learner_id", "last_review", "card_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("card_states", schema=None) as batch_op:
        batch_op.drop_index("ix_card_states_last_review")
        batch_op.create_index(
            "ix_card_states_last_review", ["learner_id", "last_review"], unique=False
        )
        batch_op.create_index("ix_card_states_due", ["learner_id", "due"], unique=False)
        batch_op.drop_index("ix_card_states_queue")
