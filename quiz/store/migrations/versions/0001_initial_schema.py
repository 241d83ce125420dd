"""Initial schema: decks, notes, cards, learners, card states and the review log.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 02:43:56.505354
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "decks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("version", sa.String(length=60), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("source_path", sa.Text(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decks")),
        sa.UniqueConstraint("key", name=op.f("uq_decks_key")),
    )
    op.create_table(
        "learners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learners")),
        sa.UniqueConstraint("name", name=op.f("uq_learners_name")),
    )
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deck_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("source_id", sa.String(length=120), nullable=True),
        sa.Column("source_section", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("reset_token", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["deck_id"],
            ["decks.id"],
            name=op.f("fk_notes_deck_id_decks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
        sa.UniqueConstraint("deck_id", "key", name="uq_notes_deck_key"),
    )
    op.create_table(
        "cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("ord", sa.Integer(), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["note_id"],
            ["notes.id"],
            name=op.f("fk_cards_note_id_notes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cards")),
        sa.UniqueConstraint("note_id", "ord", name="uq_cards_note_ord"),
    )
    op.create_table(
        "note_tags",
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["note_id"],
            ["notes.id"],
            name=op.f("fk_note_tags_note_id_notes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("note_id", "tag", name=op.f("pk_note_tags")),
    )
    with op.batch_alter_table("note_tags", schema=None) as batch_op:
        batch_op.create_index("ix_note_tags_tag", ["tag"], unique=False)

    op.create_table(
        "card_states",
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("ef", sa.SmallInteger(), nullable=False),
        sa.Column("interval", sa.Integer(), nullable=False),
        sa.Column("repetitions", sa.Integer(), nullable=False),
        sa.Column("lapses", sa.Integer(), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("last_review", sa.Date(), nullable=True),
        sa.Column("redrill", sa.Boolean(), nullable=False),
        sa.Column("leech", sa.Boolean(), nullable=False),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("buried_until", sa.Date(), nullable=True),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("flag_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["cards.id"],
            name=op.f("fk_card_states_card_id_cards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learners.id"],
            name=op.f("fk_card_states_learner_id_learners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("learner_id", "card_id", name=op.f("pk_card_states")),
    )
    with op.batch_alter_table("card_states", schema=None) as batch_op:
        batch_op.create_index("ix_card_states_due", ["learner_id", "due"], unique=False)
        batch_op.create_index(
            "ix_card_states_last_review", ["learner_id", "last_review"], unique=False
        )

    op.create_table(
        "review_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("study_day", sa.Date(), nullable=False),
        sa.Column("quality", sa.SmallInteger(), nullable=False),
        sa.Column("scheduled", sa.Boolean(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("ef_before", sa.SmallInteger(), nullable=False),
        sa.Column("ef_after", sa.SmallInteger(), nullable=False),
        sa.Column("interval_before", sa.Integer(), nullable=False),
        sa.Column("interval_after", sa.Integer(), nullable=False),
        sa.Column("repetitions_before", sa.Integer(), nullable=False),
        sa.Column("repetitions_after", sa.Integer(), nullable=False),
        sa.Column("lapses_before", sa.Integer(), nullable=False),
        sa.Column("lapses_after", sa.Integer(), nullable=False),
        sa.Column("due_before", sa.Date(), nullable=True),
        sa.Column("due_after", sa.Date(), nullable=True),
        sa.Column("last_review_before", sa.Date(), nullable=True),
        sa.Column("redrill_before", sa.Boolean(), nullable=False),
        sa.Column("redrill_after", sa.Boolean(), nullable=False),
        sa.Column("leech_before", sa.Boolean(), nullable=False),
        sa.Column("leech_after", sa.Boolean(), nullable=False),
        sa.Column("suspended_before", sa.Boolean(), nullable=False),
        sa.Column("suspended_after", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["cards.id"],
            name=op.f("fk_review_log_card_id_cards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learners.id"],
            name=op.f("fk_review_log_learner_id_learners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_log")),
    )
    with op.batch_alter_table("review_log", schema=None) as batch_op:
        batch_op.create_index("ix_review_log_card", ["card_id"], unique=False)
        batch_op.create_index(
            "ix_review_log_learner_day", ["learner_id", "study_day"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("review_log", schema=None) as batch_op:
        batch_op.drop_index("ix_review_log_learner_day")
        batch_op.drop_index("ix_review_log_card")

    op.drop_table("review_log")
    with op.batch_alter_table("card_states", schema=None) as batch_op:
        batch_op.drop_index("ix_card_states_last_review")
        batch_op.drop_index("ix_card_states_due")

    op.drop_table("card_states")
    with op.batch_alter_table("note_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_note_tags_tag")

    op.drop_table("note_tags")
    op.drop_table("cards")
    op.drop_table("notes")
    op.drop_table("learners")
    op.drop_table("decks")
