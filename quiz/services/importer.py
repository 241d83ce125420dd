"""Import a validated deck, keeping every learner's progress on notes whose id is unchanged.

An import is planned first (what each note would gain, lose or change) and
then applied in one transaction, so a deck imports completely or not at all.
The same plan answers `quiz import --dry-run`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Container
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, text, update

from quiz.domain.notes import Deck, McqOption, Note, NoteType
from quiz.store.queries import inserted_id
from quiz.store.tables import card_states, cards, decks, note_tags, notes

if TYPE_CHECKING:  # the loader (YAML, pydantic) is not needed to apply an import
    from quiz.decks.loader import LoadedDeck


class Change(StrEnum):
    ADDED = "added"
    EDITED = "edited"
    UNCHANGED = "unchanged"
    RETIRED = "retired"
    RESTORED = "restored"


@dataclass
class NoteChange:
    """What an import does to one note."""

    key: str
    change: Change
    cards_added: list[int] = field(default_factory=list)
    cards_retired: list[int] = field(default_factory=list)
    reset: bool = False
    """The instructor changed the note's `reset` token: its progress restarts."""

    learners: int = 0
    """Learners with progress on this note's cards."""

    key_change: tuple[str, str] | None = None
    """A multiple-choice edit that changes which option is correct: (old, new) key text.

    Answers already given keep the grade they got; the item analysis of the note mixes
    answers to both keys until the old ones age out, so authors should know."""


@dataclass
class ImportReport:
    deck_key: str
    title: str
    created: bool
    notes: list[NoteChange]
    dry_run: bool = False

    def count(self, change: Change) -> int:
        return sum(1 for n in self.notes if n.change is change)

    @property
    def cards_added(self) -> int:
        return sum(len(n.cards_added) for n in self.notes)

    @property
    def cards_retired(self) -> int:
        return sum(len(n.cards_retired) for n in self.notes)

    @property
    def changed(self) -> list[NoteChange]:
        return [
            n
            for n in self.notes
            if n.change is not Change.UNCHANGED or n.cards_added or n.cards_retired or n.reset
        ]


def content_hash(note: Note) -> str:
    """A hash of everything a learner sees of a note, to tell edits from unchanged notes."""
    payload = {
        "type": str(note.type),
        "fields": note.fields,
        "tags": list(note.tags),
        "source": [note.source.source, note.source.section] if note.source else None,
        "extra": note.extra,
        "facts": list(note.facts),
    }
    return hashlib.sha256(_HASH_JSON.encode(payload).encode()).hexdigest()


_HASH_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False)
"""`json.dumps(..., sort_keys=True, ensure_ascii=False)` without building an encoder per
call: the same text, so hashes stored by earlier versions still match."""


@dataclass
class _Existing:
    id: int
    hash: str
    position: int
    retired: bool
    reset: str | None
    cards: dict[int, tuple[int, bool]]
    """ord -> (card id, retired)."""


def import_deck(
    conn: Connection,
    loaded: LoadedDeck,
    now: datetime,
    *,
    source_path: str | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Plan and (unless dry_run) apply an import inside the caller's transaction."""
    deck = loaded.deck
    if not dry_run:
        lock_deck_key(conn, deck.id)
    deck_id = conn.execute(select(decks.c.id).where(decks.c.key == deck.id)).scalar()
    existing = _existing_notes(conn, deck_id) if deck_id is not None else {}
    learners = _learners_per_note(conn, deck_id) if deck_id is not None else {}
    report = ImportReport(deck.id, deck.title, deck_id is None, [], dry_run)
    hashes = {note.id: content_hash(note) for note in deck.notes}
    for note in deck.notes:
        report.notes.append(_plan_note(note, hashes[note.id], existing.get(note.id), learners))
    _plan_key_changes(conn, deck, existing, report)
    in_file = {note.id for note in deck.notes}
    for key, old in existing.items():
        if key not in in_file and not old.retired:
            live = [o for o, (_, retired) in old.cards.items() if not retired]
            report.notes.append(
                NoteChange(
                    key,
                    Change.RETIRED,
                    cards_retired=sorted(live),
                    learners=learners.get(old.id, 0),
                )
            )
    if not dry_run:
        _apply(conn, deck, deck_id, existing, hashes, report, now, loaded.sha256, source_path)
    return report


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


def _plan_note(
    note: Note, digest: str, old: _Existing | None, learners: dict[int, int]
) -> NoteChange:
    ords = note.card_ords()
    if old is None:
        return NoteChange(note.id, Change.ADDED, cards_added=ords)
    live = {o for o, (_, retired) in old.cards.items() if not retired}
    if old.retired:
        change = Change.RESTORED
    elif old.hash != digest:
        change = Change.EDITED
    else:
        change = Change.UNCHANGED
    return NoteChange(
        note.id,
        change,
        cards_added=[o for o in ords if o not in live],
        cards_retired=sorted(live - set(ords)),
        reset=old.reset != note.reset and note.reset is not None,
        learners=learners.get(old.id, 0),
    )


def _plan_key_changes(
    conn: Connection, deck: Deck, existing: dict[str, _Existing], report: ImportReport
) -> None:
    """Mark edited multiple-choice notes whose correct option is no longer the same option.

    Options are compared by identity (their ``id``, else their text fingerprint), so
    reordering options or editing explanations is not a key change; rewording the key
    without an ``id`` is reported, since the old and new wording cannot be told apart
    from a replaced answer.
    """
    edited = {n.key for n in report.notes if n.change in (Change.EDITED, Change.RESTORED)}
    new_notes = {n.id: n for n in deck.notes if n.id in edited and n.type is NoteType.MCQ}
    if not new_notes:
        return
    ids = {existing[key].id: key for key in new_notes if key in existing}
    old_fields: dict[str, Any] = {}
    chunk_ids = list(ids)
    for start in range(0, len(chunk_ids), 500):  # bounded IN lists for every database
        rows = conn.execute(
            select(notes.c.id, notes.c.type, notes.c.fields).where(
                notes.c.id.in_(chunk_ids[start : start + 500])
            )
        )
        for note_id, kind, fields in rows:
            if kind == str(NoteType.MCQ):
                old_fields[ids[note_id]] = fields
    for change in report.notes:
        if change.key not in old_fields:
            continue
        old = _key_option(Note(change.key, NoteType.MCQ, old_fields[change.key]))
        new = _key_option(new_notes[change.key])
        if old is not None and new is not None and old.id != new.id:
            change.key_change = (old.text, new.text)


def _key_option(note: Note) -> McqOption | None:
    return next((o for o in note.options() if o.correct), None)


def _existing_notes(conn: Connection, deck_id: int) -> dict[str, _Existing]:
    found: dict[str, _Existing] = {}
    by_id: dict[int, _Existing] = {}
    rows = conn.execute(
        select(
            notes.c.id,
            notes.c.key,
            notes.c.content_hash,
            notes.c.position,
            notes.c.retired_at,
            notes.c.reset_token,
        ).where(notes.c.deck_id == deck_id)
    )
    # Rows are unpacked as tuples: a deck has tens of thousands of notes and cards, and
    # looking columns up by name on each row costs more than the query.
    for note_id, key, digest, position, retired_at, reset_token in rows:
        item = _Existing(note_id, digest, position, retired_at is not None, reset_token, {})
        found[key] = by_id[note_id] = item
    card_rows = conn.execute(
        select(cards.c.id, cards.c.note_id, cards.c.ord, cards.c.retired_at).where(
            cards.c.deck_id == deck_id
        )
    )
    for card_id, note_id, ord_, retired_at in card_rows:
        by_id[note_id].cards[ord_] = (card_id, retired_at is not None)
    return found


def unchanged_report(conn: Connection, deck_id: int, *, dry_run: bool = False) -> ImportReport:
    """The report of re-importing, unchanged, the very file a deck was last imported from.

    Every live note is unchanged and nothing is written: what ``import_deck`` would find
    and do, read from the database without parsing the file again.
    """
    deck = conn.execute(select(decks.c.key, decks.c.title).where(decks.c.id == deck_id)).one()
    learners = _learners_per_note(conn, deck_id)
    rows = conn.execute(
        select(notes.c.id, notes.c.key)
        .where(notes.c.deck_id == deck_id, notes.c.retired_at.is_(None))
        .order_by(notes.c.position)
    )
    changes = [
        NoteChange(key, Change.UNCHANGED, learners=learners.get(nid, 0)) for nid, key in rows
    ]
    return ImportReport(deck.key, deck.title, False, changes, dry_run)


def _learners_per_note(conn: Connection, deck_id: int) -> dict[int, int]:
    query = (
        select(cards.c.note_id, func.count(func.distinct(card_states.c.learner_id)))
        .select_from(card_states.join(cards, cards.c.id == card_states.c.card_id))
        .where(cards.c.deck_id == deck_id, card_states.c.last_review.is_not(None))
        .group_by(cards.c.note_id)
    )
    return {int(n): int(c) for n, c in conn.execute(query)}


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
    }


def _apply(
    conn: Connection,
    deck: Deck,
    deck_id: int | None,
    existing: dict[str, _Existing],
    hashes: dict[str, str],
    report: ImportReport,
    now: datetime,
    sha256: str,
    source_path: str | None,
) -> None:
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
    if deck_id is None:
        deck_id = inserted_id(conn.execute(insert(decks).values(**meta)))
    else:
        conn.execute(update(decks).where(decks.c.id == deck_id).values(**meta))

    changes = {c.key: c for c in report.notes}
    new_rows, updates = [], []
    for position, note in enumerate(deck.notes):
        values = note_values(note, position, hashes[note.id])
        old = existing.get(note.id)
        if old is None:
            new_rows.append({"deck_id": deck_id, **values})
        elif (
            changes[note.id].change is not Change.UNCHANGED
            or old.position != position
            or changes[note.id].reset
        ):
            updates.append({"_id": old.id, **values})
    # Bulk statements (executemany) keep a 10,000-note import to a handful of round trips.
    if new_rows:
        conn.execute(insert(notes), new_rows)
    if updates:
        conn.execute(
            update(notes).where(notes.c.id == bindparam("_id")),
            [dict(u.items()) for u in updates],
        )
    ids = dict(
        conn.execute(select(notes.c.key, notes.c.id).where(notes.c.deck_id == deck_id)).all()
    )

    retired_keys = [c.key for c in report.notes if c.change is Change.RETIRED]
    if retired_keys:
        conn.execute(
            update(notes)
            .where(notes.c.deck_id == deck_id, notes.c.key.in_(retired_keys))
            .values(retired_at=now)
        )

    _sync_tags(
        conn,
        deck,
        ids,
        {c.key for c in report.notes if c.change in {Change.ADDED, Change.EDITED, Change.RESTORED}},
        existing,
    )
    _sync_cards(conn, deck, deck_id, ids, existing, report, now)


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
    deck: Deck,
    deck_id: int,
    ids: dict[str, int],
    existing: dict[str, _Existing],
    report: ImportReport,
    now: datetime,
) -> None:
    add: list[dict[str, Any]] = []
    revive: list[int] = []
    retire: list[int] = []
    reset_cards: list[int] = []
    by_key = {c.key: c for c in report.notes}
    for note in deck.notes:
        old = existing.get(note.id)
        change = by_key[note.id]
        for ord_ in change.cards_added:
            if old is not None and ord_ in old.cards:
                revive.append(old.cards[ord_][0])
            else:
                # retired_at is left out (NULL): binding None would run its type's
                # processor once per card for nothing.
                add.append({"note_id": ids[note.id], "ord": ord_, "deck_id": deck_id})
        if old is not None:
            retire.extend(old.cards[o][0] for o in change.cards_retired)
            if change.reset:
                reset_cards.extend(card_id for card_id, _ in old.cards.values())
    for change in report.notes:
        if change.change is Change.RETIRED:
            old = existing[change.key]
            retire.extend(old.cards[o][0] for o in change.cards_retired)
    if add:
        conn.execute(insert(cards), add)
    for chunk in _chunks(revive):
        conn.execute(update(cards).where(cards.c.id.in_(chunk)).values(retired_at=None))
    for chunk in _chunks(retire):
        conn.execute(update(cards).where(cards.c.id.in_(chunk)).values(retired_at=now))
    # A reset forgets scheduling state; the review log keeps the history.
    for chunk in _chunks(reset_cards):
        conn.execute(delete(card_states).where(card_states.c.card_id.in_(chunk)))


def _chunks(items: list[int], size: int = 500) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
