"""The database schema as SQLAlchemy Core tables (the migrations create exactly these)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from quiz.store.types import UTCDateTime

# Named constraints let Alembic alter them later, on SQLite (batch mode) too.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

learners = Table(
    "learners",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
)

decks = Table(
    "decks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(120), nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("version", String(60), nullable=False, default="1"),
    Column("sources", JSON, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("file_sha256", String(64), nullable=True),
    Column("source_path", Text, nullable=True),
    Column("imported_at", UTCDateTime, nullable=False),
)

notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("deck_id", Integer, ForeignKey("decks.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(120), nullable=False),
    Column("type", String(16), nullable=False),
    Column("position", Integer, nullable=False),
    Column("fields", JSON, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("source_id", String(120), nullable=True),
    Column("source_section", Text, nullable=True),
    Column("extra", Text, nullable=True),
    Column("facts", JSON, nullable=False),
    Column("reset_token", Text, nullable=True),
    Column("content_hash", String(64), nullable=False),
    Column("retired_at", UTCDateTime, nullable=True),
    # The `from:` declaration last applied (quiz.domain.moves.canonical): moves act once.
    Column("moved_from", Text, nullable=True),
    UniqueConstraint("deck_id", "key", name="uq_notes_deck_key"),
    # New cards are read in deck order; without it every day plan sorts the deck.
    Index("ix_notes_deck_position", "deck_id", "position", "retired_at"),
)

note_tags = Table(
    "note_tags",
    metadata,
    Column("note_id", Integer, ForeignKey("notes.id", ondelete="CASCADE"), primary_key=True),
    Column("tag", String(200), primary_key=True),
    Index("ix_note_tags_tag", "tag"),
)

cards = Table(
    "cards",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("note_id", Integer, ForeignKey("notes.id", ondelete="CASCADE"), nullable=False),
    Column("ord", Integer, nullable=False),
    Column("retired_at", UTCDateTime, nullable=True),
    # The note's deck, copied (a note never changes deck): the queue, the counts and the
    # statistics find a deck's live cards here without reading the wide note rows.
    Column("deck_id", Integer, ForeignKey("decks.id", ondelete="CASCADE"), nullable=False),
    # What a retired card asked (question SHA-256, answer), for the plan if it comes back.
    Column("face_sha", String(64), nullable=True),
    Column("answer", Text, nullable=True),
    UniqueConstraint("note_id", "ord", name="uq_cards_note_ord"),
    # A deck's live cards (its size, deck-scoped statistics) off the index alone.
    Index("ix_cards_deck_id", "deck_id", "retired_at"),
)

card_states = Table(
    "card_states",
    metadata,
    Column("learner_id", Integer, ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True),
    Column("card_id", Integer, ForeignKey("cards.id", ondelete="CASCADE"), primary_key=True),
    Column("ef", SmallInteger, nullable=False),
    Column("interval", Integer, nullable=False),
    Column("repetitions", Integer, nullable=False),
    Column("lapses", Integer, nullable=False),
    Column("due", Date, nullable=True),
    Column("last_review", Date, nullable=True),
    Column("redrill", Boolean, nullable=False),
    Column("leech", Boolean, nullable=False),
    Column("suspended", Boolean, nullable=False),
    Column("buried_until", Date, nullable=True),
    Column("flagged_at", UTCDateTime, nullable=True),
    Column("flag_note", Text, nullable=True),
    # Today's queue and tomorrow's count filter due cards on these columns; with them in
    # the index, SQLite reads no card_states rows to find them (migration 0004).
    Index(
        "ix_card_states_queue",
        "learner_id",
        "due",
        "suspended",
        "buried_until",
        "last_review",
        "card_id",
    ),
    # With the card id, today's studied notes come off the index alone; without it SQLite
    # preferred scanning every state of the learner in the queue index above.
    Index("ix_card_states_last_review", "learner_id", "last_review", "card_id"),
)

# Append-only: one row per answer, with the card's scheduling state before and
# after, so that undo restores exactly and statistics never need the card table.
review_log = Table(
    "review_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("learner_id", Integer, ForeignKey("learners.id", ondelete="CASCADE"), nullable=False),
    Column("card_id", Integer, ForeignKey("cards.id", ondelete="CASCADE"), nullable=False),
    Column("reviewed_at", UTCDateTime, nullable=False),
    Column("study_day", Date, nullable=False),
    Column("quality", SmallInteger, nullable=False),
    Column("scheduled", Boolean, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("ef_before", SmallInteger, nullable=False),
    Column("ef_after", SmallInteger, nullable=False),
    Column("interval_before", Integer, nullable=False),
    Column("interval_after", Integer, nullable=False),
    Column("repetitions_before", Integer, nullable=False),
    Column("repetitions_after", Integer, nullable=False),
    Column("lapses_before", Integer, nullable=False),
    Column("lapses_after", Integer, nullable=False),
    Column("due_before", Date, nullable=True),
    Column("due_after", Date, nullable=True),
    Column("last_review_before", Date, nullable=True),
    Column("redrill_before", Boolean, nullable=False),
    Column("redrill_after", Boolean, nullable=False),
    Column("leech_before", Boolean, nullable=False),
    Column("leech_after", Boolean, nullable=False),
    Column("suspended_before", Boolean, nullable=False),
    Column("suspended_after", Boolean, nullable=False),
    # The identity of the option chosen on a multiple-choice card (migration 0006); NULL
    # for other cards, answers revealed without a pick, and answers from before 0006.
    Column("chosen_option", String(120), nullable=True),
    # The statistics' columns follow (learner_id, study_day) so that they read a year of
    # answers from the index alone (migration 0003).
    Index(
        "ix_review_log_stats",
        "learner_id",
        "study_day",
        "scheduled",
        "quality",
        "interval_before",
        "last_review_before",
        "duration_ms",
        "card_id",
    ),
    Index("ix_review_log_card", "card_id"),
    # An undone answer's id is never given to another answer (migration 0007).
    sqlite_autoincrement=True,
)
