"""Imported decks read back whole for an export: many decks, every live note, fast.

The notes' JSON columns are read as text and decoded a deck at a time. Decoding
each value on its own (as the column type does) costs more than the rest of
reading a note; joining a deck's values into one JSON array and decoding that
once gives the same values at a fraction of the cost, because the per-call
overhead of ``json.loads`` is paid once per deck instead of three times per note.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, Row, Text, cast, select

from quiz.domain.notes import Deck, Note, Source
from quiz.services.context import Quiz
from quiz.store.queries import note_from_row
from quiz.store.tables import decks, notes

# The JSON columns come as text (PostgreSQL's driver would decode json itself) and
# last, so the plain columns are a prefix of the row.
_NOTE_COLUMNS = (
    notes.c.key,
    notes.c.type,
    notes.c.source_id,
    notes.c.source_section,
    notes.c.extra,
    notes.c.reset_token,
    cast(notes.c.fields, Text),
    cast(notes.c.tags, Text),
    cast(notes.c.facts, Text),
)
_PLAIN = 6
"""How many columns of ``_NOTE_COLUMNS`` are read as they are."""


class _NoteRow(NamedTuple):
    """A note's row with its JSON decoded: what ``note_from_row`` reads."""

    key: str
    type: str
    source_id: str | None
    source_section: str | None
    extra: str | None
    reset_token: str | None
    fields: Any
    tags: Any
    facts: Any


def decks_from_db(quiz: Quiz, keys: Sequence[str]) -> dict[str, Deck]:
    """The imported decks with these keys: live notes only, each as loaded from its file.

    Keys that name no deck are left out. All decks are read in one transaction.
    """
    with quiz.store.read() as conn:
        deck_rows = conn.execute(select(decks).where(decks.c.key.in_(set(keys)))).all()
        return {row.key: _deck(row, _notes(conn, row.id)) for row in deck_rows}


def _notes(conn: Connection, deck_id: int) -> list[Note]:
    rows = conn.execute(
        select(*_NOTE_COLUMNS)
        .where(notes.c.deck_id == deck_id, notes.c.retired_at.is_(None))
        .order_by(notes.c.position)
    ).all()
    fields, tags, facts = (_json_column(rows, _PLAIN + i) for i in range(3))
    return [
        note_from_row(_NoteRow(key, type_, source, section, extra, reset, f, t, x))
        for (key, type_, source, section, extra, reset, *_), f, t, x in zip(
            rows, fields, tags, facts, strict=True
        )
    ]


def _json_column(rows: Sequence[Row[Any]], index: int) -> list[Any]:
    """Column ``index`` of every row, each value decoded from JSON, in one call."""
    return json.loads(f"[{','.join([row[index] for row in rows])}]")  # type: ignore[no-any-return]


def _deck(row: Row[Any], deck_notes: list[Note]) -> Deck:
    return Deck(
        id=row.key,
        title=row.title,
        description=row.description,
        version=row.version,
        sources=tuple(Source(s["id"], s.get("title", s["id"]), s.get("url")) for s in row.sources),
        tags=tuple(row.tags),
        notes=tuple(deck_notes),
    )
