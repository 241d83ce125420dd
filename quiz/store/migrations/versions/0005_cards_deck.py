"""File each card under its deck, as Anki's cards table does: "live cards of a deck" without notes.

Today's counts, the queue and the statistics want a card's deck and whether it is
retired. Both were only known by looking up the card's note, a wide row (fields, facts,
JSON) on its own page: on 100,000 cards those lookups were most of the home screen's
time. A note never changes deck (notes are keyed by deck and key) and a retired note's
cards are retired with it, so ``cards.deck_id`` and ``cards.retired_at`` say it all.

The column is added empty, filled from the notes, then made NOT NULL with its foreign
key: on SQLite that last step rebuilds ``cards`` (batch mode), which is safe because
migrations run with foreign keys off, so the rows that reference cards stay.
The index gives each deck's live cards (its size, a deck-scoped statistic) off the
index alone.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deck_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE cards SET deck_id = (SELECT notes.deck_id FROM notes WHERE notes.id = cards.note_id)"
    )
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.alter_column("deck_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            op.f("fk_cards_deck_id_decks"), "decks", ["deck_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_index("ix_cards_deck_id", ["deck_id", "retired_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_index("ix_cards_deck_id")
        batch_op.drop_constraint(op.f("fk_cards_deck_id_decks"), type_="foreignkey")
        batch_op.drop_column("deck_id")
