"""Read a deck's snapshot for the import planner, and apply an import plan.

The plan (quiz.domain.plan) decides; this module only reads what it needs and writes
what it says, inside the caller's transaction, so an import is all or nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Container, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, text, update

from quiz.domain.moves import CardKey, canonical
from quiz.domain.notes import Deck, Note, NoteType
from quiz.domain.plan import (
    Face,
    ImportPlan,
    LiveCard,
    NoteChange,
    OldNote,
    Outcome,
    Snapshot,
    face,
)
from quiz.store.queries import NOTE_COLUMNS, inserted_id, note_from_row
from quiz.store.tables import card_states, cards, decks, note_tags, notes, review_log


def deck_id_of(conn: Connection, deck_key: str) -> int | None:
    found = conn.execute(select(decks.c.id).where(decks.c.key == deck_key)).scalar()
    return None if found is None else int(found)


def deck_title(conn: Connection, deck_key: str) -> str:
    return str(conn.execute(select(decks.c.title).where(decks.c.key == deck_key)).scalar_one())


def live_cards(conn: Connection, deck_key: str) -> list[LiveCard]:
    """A deck's live cards in deck order, with the learners on each (no note contents)."""
    deck_id = deck_id_of(conn, deck_key)
    counts = _learners(conn, deck_id) if deck_id is not None else {}
    rows = conn.execute(
        select(notes.c.id, notes.c.key, notes.c.type, cards.c.ord)
        .join(cards, cards.c.note_id == notes.c.id)
        .where(notes.c.deck_id == deck_id, cards.c.retired_at.is_(None))
        .order_by(notes.c.position, cards.c.ord)
    )
    kinds = {str(t): t for t in NoteType}  # a dict lookup; NoteType(value) costs microseconds
    return [
        (key, kinds[kind], ord_, counts[note_id].get(ord_, 0) if note_id in counts else 0)
        for note_id, key, kind, ord_ in rows
    ]


def _learners(conn: Connection, deck_id: int) -> dict[int, dict[int, int]]:
    """Learners with progress (a reviewed card), by note row id and card ordinal."""
    found: dict[int, dict[int, int]] = {}
    for note_id, ord_, count in conn.execute(
        select(cards.c.note_id, cards.c.ord, func.count(card_states.c.learner_id))
        .select_from(card_states.join(cards, cards.c.id == card_states.c.card_id))
        .where(cards.c.deck_id == deck_id, card_states.c.last_review.is_not(None))
        .group_by(cards.c.note_id, cards.c.ord)
    ):
        found.setdefault(note_id, {})[ord_] = int(count)
    return found


_CONTENT = (notes.c.id, *NOTE_COLUMNS)
"""A note's id and what ``note_from_row`` reads."""


def read_snapshot(
    conn: Connection, deck_key: str, current: Mapping[str, tuple[str, Note]] | None = None
) -> Snapshot:
    """Every note (retired ones too) of a deck, its cards and the learners on each card.

    ``current`` maps note ids to (content hash, note) of the file being imported: a note
    whose stored hash matches holds that very content, so its JSON columns are not read
    (decoding them is most of a re-import's reading).
    """
    deck_id = deck_id_of(conn, deck_key)
    if deck_id is None:
        return Snapshot(deck_key, {}, exists=False)
    known = current or {}
    rows = conn.execute(
        select(
            notes.c.id,
            notes.c.key,
            notes.c.reset_token,
            notes.c.content_hash,
            notes.c.position,
            notes.c.retired_at,
            notes.c.moved_from,
        ).where(notes.c.deck_id == deck_id)
    ).all()
    contents: dict[int, Note] = {}
    for row in rows:
        mine = known.get(row.key)
        if mine is not None and mine[0] == row.content_hash:
            n = mine[1]
            contents[row.id] = Note(
                n.id, n.type, n.fields, n.tags, n.source, n.extra, n.facts, row.reset_token
            )
    wanted = [row.id for row in rows if row.id not in contents]
    for chunk in _chunks(wanted):
        for stored in conn.execute(select(*_CONTENT).where(notes.c.id.in_(chunk))):
            contents[stored.id] = note_from_row(stored)
    card_rows: dict[int, dict[int, bool]] = {}
    faces: dict[int, dict[int, Face]] = {}
    for note_id, ord_, retired_at, face_sha, answer in conn.execute(
        select(
            cards.c.note_id, cards.c.ord, cards.c.retired_at, cards.c.face_sha, cards.c.answer
        ).where(cards.c.deck_id == deck_id)
    ):
        card_rows.setdefault(note_id, {})[ord_] = retired_at is not None
        if retired_at is not None and face_sha is not None:
            faces.setdefault(note_id, {})[ord_] = (face_sha, answer)
    learners = _learners(conn, deck_id)
    found = {}
    for row in rows:
        found[row.key] = OldNote(
            contents[row.id],
            row.content_hash,
            row.position,
            row.retired_at is not None,
            card_rows.get(row.id, {}),
            learners.get(row.id, {}),
            row.moved_from,
            faces.get(row.id, {}),
        )
    return Snapshot(deck_key, found)


def note_values(note: Note, position: int, digest: str) -> dict[str, Any]:
    """The notes-table row of a note (without its deck and id)."""
    return {
        "key": note.id,
        "type": str(note.type),
        "position": position,
        "fields": dict(note.fields),
        "tags": list(note.tags),
        "source_id": note.source.source if note.source else None,
        "source_section": note.source.section if note.source else None,
        "extra": note.extra,
        "facts": list(note.facts),
        "reset_token": note.reset,
        "content_hash": digest,
        "retired_at": None,
        "moved_from": canonical(note.moved_from),
    }


def apply_plan(
    conn: Connection,
    deck: Deck,
    plan: ImportPlan,
    snapshot: Snapshot,
    now: datetime,
    *,
    sha256: str,
    source_path: str | None,
) -> None:
    """Write what ``plan`` says, and nothing else, in the caller's transaction."""
    meta = {
        "key": deck.id,
        "title": deck.title,
        "description": deck.description,
        "version": deck.version,
        "tags": list(deck.tags),
        "file_sha256": sha256,
        "sources": [{"id": s.id, "title": s.title, "url": s.url} for s in deck.sources],
        "source_path": source_path,
        "imported_at": now,
    }
    deck_id = deck_id_of(conn, deck.id)
    if deck_id is None:
        deck_id = inserted_id(conn.execute(insert(decks).values(**meta)))
    else:
        conn.execute(update(decks).where(decks.c.id == deck_id).values(**meta))

    planned = {n.key: n for n in plan.notes}
    old_notes = snapshot.notes
    new_rows, updates, touched = [], [], set()
    for position, note in enumerate(deck.notes):
        old = old_notes.get(note.id)
        digest = planned[note.id].digest
        values = note_values(note, position, digest)
        if old is None:
            new_rows.append({"deck_id": deck_id, **values})
            touched.add(note.id)
        elif (
            planned[note.id].change is not NoteChange.UNCHANGED
            or old.position != position
            or old.moved_from != values["moved_from"]
        ):
            updates.append({"_id_key": note.id, **values})
            if old.content_hash != digest or old.retired:
                touched.add(note.id)
    # Bulk statements (executemany) keep a 10,000-note import to a handful of round trips.
    if new_rows:
        conn.execute(insert(notes), new_rows)
    if updates:
        conn.execute(
            update(notes).where(notes.c.deck_id == deck_id, notes.c.key == bindparam("_id_key")),
            updates,
        )
    ids = {
        str(key): int(note_id)
        for key, note_id in conn.execute(
            select(notes.c.key, notes.c.id).where(notes.c.deck_id == deck_id)
        )
    }
    retired_keys = [n.key for n in plan.notes if n.change is NoteChange.RETIRED]
    for chunk in _chunks(retired_keys):
        conn.execute(
            update(notes)
            .where(notes.c.deck_id == deck_id, notes.c.key.in_(chunk))
            .values(retired_at=now)
        )
    _sync_tags(conn, deck, ids, touched, old_notes)
    _sync_cards(conn, deck_id, ids, plan, snapshot, now)


def _sync_tags(
    conn: Connection, deck: Deck, ids: dict[str, int], touched: set[str], existing: Container[str]
) -> None:
    """Rewrite the tag rows of the touched notes; only those that existed can have any."""
    stale = [ids[n.id] for n in deck.notes if n.id in touched and n.id in existing]
    for chunk in _chunks(stale):
        conn.execute(delete(note_tags).where(note_tags.c.note_id.in_(chunk)))
    rows = [
        {"note_id": ids[n.id], "tag": t}
        for n in deck.notes
        if n.id in touched
        for t in dict.fromkeys(n.tags)
    ]
    if rows:
        conn.execute(insert(note_tags), rows)


def _sync_cards(
    conn: Connection,
    deck_id: int,
    ids: dict[str, int],
    plan: ImportPlan,
    snapshot: Snapshot,
    now: datetime,
) -> None:
    card_ids: dict[CardKey, int] = {}
    by_note_id = {v: k for k, v in ids.items()}
    for card_id, note_id, ord_ in conn.execute(
        select(cards.c.id, cards.c.note_id, cards.c.ord).where(cards.c.deck_id == deck_id)
    ):
        card_ids[(by_note_id[note_id], ord_)] = card_id
    add: list[dict[str, Any]] = []
    revive: list[int] = []
    retire: list[dict[str, Any]] = []
    for c in plan.cards():
        if c.outcome is Outcome.RETIRED:
            # The card was live, so its note (as it was) still renders it.
            sha, answer = face(snapshot.notes[c.note].note, c.ord)
            retire.append({"_card": card_ids[c.key], "face_sha": sha, "answer": answer})
        elif c.enters:
            if c.key in card_ids:
                revive.append(card_ids[c.key])
            else:
                # retired_at is left out (NULL): binding None would run its type's
                # processor once per card for nothing.
                add.append({"note_id": ids[c.note], "ord": c.ord, "deck_id": deck_id})
    if add:
        conn.execute(insert(cards), add)
        for card_id, note_id, ord_ in conn.execute(
            select(cards.c.id, cards.c.note_id, cards.c.ord).where(
                cards.c.deck_id == deck_id, cards.c.retired_at.is_(None)
            )
        ):
            card_ids[(by_note_id[note_id], ord_)] = card_id
    for chunk in _chunks(revive):
        conn.execute(update(cards).where(cards.c.id.in_(chunk)).values(retired_at=None))
    if retire:
        conn.execute(
            update(cards).where(cards.c.id == bindparam("_card")).values(retired_at=now),
            retire,
        )
    moves = {
        card_ids[c.key]: card_ids[c.source]
        for c in plan.cards()
        if c.outcome is Outcome.MOVED and c.source
    }
    if moves:
        _move_progress(conn, moves)
    # A reset forgets scheduling state; the review log keeps the history.
    reset = [
        card_ids[c.key] for c in plan.cards() if c.outcome is Outcome.RESET and c.moved_to is None
    ]
    for chunk in _chunks(reset):
        conn.execute(delete(card_states).where(card_states.c.card_id.in_(chunk)))


def _move_progress(conn: Connection, moves: dict[int, int]) -> None:
    """Give each target card its source card's states and review history (target -> source).

    Everything is read before anything is written, so moves that swap cards (c2 <-> c3)
    carry each card's own progress rather than one already moved.
    """
    sources = list(moves.values())
    states: list[dict[str, Any]] = []
    logs: dict[int, list[int]] = {}
    for chunk in _chunks(sources):
        states.extend(
            dict(r._mapping)
            for r in conn.execute(select(card_states).where(card_states.c.card_id.in_(chunk)))
        )
        for log_id, card_id in conn.execute(
            select(review_log.c.id, review_log.c.card_id).where(review_log.c.card_id.in_(chunk))
        ):
            logs.setdefault(card_id, []).append(log_id)
    # A target's own state is replaced; a source's has moved on with it.
    for chunk in _chunks([*moves, *sources]):
        conn.execute(delete(card_states).where(card_states.c.card_id.in_(chunk)))
    target_of = {src: dst for dst, src in moves.items()}
    if states:
        conn.execute(
            insert(card_states), [{**s, "card_id": target_of[s["card_id"]]} for s in states]
        )
    for src, log_ids in logs.items():
        for chunk in _chunks(log_ids):
            conn.execute(
                update(review_log).where(review_log.c.id.in_(chunk)).values(card_id=target_of[src])
            )


def _chunks(items: list[Any], size: int = 500) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def lock_deck_key(conn: Connection, key: str) -> None:
    """Make concurrent imports of one deck take turns (PostgreSQL).

    Two `quiz import` of a new deck at once would both plan an insert and one would
    die on the unique key. A transaction-scoped advisory lock on the deck key makes
    the second wait, then plan against the first one's rows. SQLite needs nothing:
    its write transactions (BEGIN IMMEDIATE) already take turns.
    """
    if conn.dialect.name == "postgresql":
        digest = hashlib.sha256(f"quiz-import:{key}".encode()).digest()
        conn.execute(
            text("SELECT pg_advisory_xact_lock(:k)"),
            {"k": int.from_bytes(digest[:8], "big", signed=True)},
        )
