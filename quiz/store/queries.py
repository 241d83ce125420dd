"""Queries the services run: card states, the review log, today's queue and counts.

Every function takes an open connection; the caller owns the transaction.
Only portable SQLAlchemy Core is used, so the same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    CursorResult,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from quiz.domain.notes import Note, NoteType, SourceRef
from quiz.domain.sm2 import CardState
from quiz.store.tables import card_states, cards, decks, learners, notes, review_log


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the row an INSERT just created."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def ensure_learner(conn: Connection, name: str, now: datetime) -> int:
    """The id of a learner profile, created on first use.

    Two sessions of a new learner may start at once (two browser tabs): on PostgreSQL
    both can miss the row and insert it. The loser's insert fails on the unique name,
    inside a savepoint, and it reads the winner's row instead.
    """
    query = select(learners.c.id).where(learners.c.name == name)
    found = conn.execute(query).scalar()
    if found is not None:
        return int(found)
    try:
        with conn.begin_nested():
            return inserted_id(conn.execute(insert(learners).values(name=name, created_at=now)))
    except IntegrityError:
        return int(conn.execute(query).scalar_one())


_NOTE_TYPES: dict[str, NoteType] = {t.value: t for t in NoteType}
"""NoteType by value: a dict lookup, where NoteType(value) costs microseconds a note."""


def note_from_row(row: Any) -> Note:
    """Rebuild a domain note from a row of the notes table."""
    source = SourceRef(row.source_id, row.source_section) if row.source_id else None
    return Note(
        id=row.key,
        type=_NOTE_TYPES.get(row.type) or NoteType(row.type),
        fields=row.fields,
        tags=tuple(row.tags),
        source=source,
        extra=row.extra,
        facts=tuple(row.facts),
        reset=row.reset_token,
    )


NOTE_COLUMNS = (
    notes.c.key,
    notes.c.type,
    notes.c.fields,
    notes.c.tags,
    notes.c.source_id,
    notes.c.source_section,
    notes.c.extra,
    notes.c.facts,
    notes.c.reset_token,
)
"""The columns ``note_from_row`` reads."""


_STATE_COLUMNS = (
    "ef",
    "interval",
    "repetitions",
    "lapses",
    "due",
    "last_review",
    "redrill",
    "leech",
    "suspended",
)


def state_from_row(row: Any) -> CardState:
    if row is None or row.ef is None:
        return CardState()
    return CardState(**{c: getattr(row, c) for c in _STATE_COLUMNS})


# The statements of answering a card are built once, with bound parameters: building a
# statement (``.where(x == 1).values(**row)``) costs more than SQLite takes to run it, and
# the answer is the operation a learner waits on hundreds of times a day.
_ONE_STATE = and_(
    card_states.c.learner_id == bindparam("_learner_id"),
    card_states.c.card_id == bindparam("_card_id"),
)
_GET_STATE = select(*[card_states.c[c] for c in _STATE_COLUMNS]).where(_ONE_STATE)
_GET_STATE_FOR_UPDATE = _GET_STATE.with_for_update()
_GET_STATE_ROW = select(card_states).where(_ONE_STATE)
_UPDATE_STATE = update(card_states).where(_ONE_STATE)
"""Executed with the columns to set as parameters (SET follows the parameters given)."""

_INSERT_STATE = insert(card_states)
_INSERT_LOG = insert(review_log)


def _key(learner_id: int, card_id: int) -> dict[str, int]:
    return {"_learner_id": learner_id, "_card_id": card_id}


_LOCK_LEARNER = (
    select(learners.c.id)
    .where(learners.c.id == bindparam("_learner_id"))
    .with_for_update(key_share=True)
)
"""FOR NO KEY UPDATE: one learner's answers queue up; foreign-key checks do not wait on it."""


def get_state(
    conn: Connection, learner_id: int, card_id: int, *, for_update: bool = False
) -> CardState:
    """A card's state for a learner; ``for_update`` locks it until commit, so two sessions
    answering the same card are applied one after the other.

    On PostgreSQL the lock is the learner's row, taken first: a lock on the state row
    alone would not cover a card answered for the first time, which has no row yet,
    and both sessions would insert one (one failing), or the second would overwrite
    the first's answer from the stale new state. SQLite needs nothing here: writers
    hold the database's write lock from BEGIN IMMEDIATE.
    """
    if for_update and conn.dialect.name != "sqlite":
        conn.execute(_LOCK_LEARNER, {"_learner_id": learner_id})
    query = _GET_STATE_FOR_UPDATE if for_update else _GET_STATE
    return state_from_row(conn.execute(query, _key(learner_id, card_id)).first())


def get_state_row(conn: Connection, learner_id: int, card_id: int) -> Any:
    """A card's whole card_states row (flags included), or None if it has none."""
    return conn.execute(_GET_STATE_ROW, _key(learner_id, card_id)).first()


def save_state(conn: Connection, learner_id: int, card_id: int, state: CardState) -> None:
    values = {c: getattr(state, c) for c in _STATE_COLUMNS}
    done = conn.execute(_UPDATE_STATE, {**_key(learner_id, card_id), **values}).rowcount
    if not done:
        conn.execute(_INSERT_STATE, {"learner_id": learner_id, "card_id": card_id, **values})


def restore_state(conn: Connection, learner_id: int, card_id: int, state: CardState) -> None:
    """Put back a state from the review log; a card back to new with no flags loses its row,
    exactly as before its first answer."""
    save_state(conn, learner_id, card_id, state)
    if state == CardState():
        conn.execute(
            delete(card_states).where(
                card_states.c.learner_id == learner_id,
                card_states.c.card_id == card_id,
                card_states.c.buried_until.is_(None),
                card_states.c.flagged_at.is_(None),
            )
        )


def set_flags(conn: Connection, learner_id: int, card_id: int, **values: Any) -> None:
    """Set non-scheduling columns (suspended, buried_until, flagged_at...) on a card's state."""
    done = conn.execute(
        update(card_states)
        .where(card_states.c.learner_id == learner_id, card_states.c.card_id == card_id)
        .values(**values)
    ).rowcount
    if not done:
        base = {c: getattr(CardState(), c) for c in _STATE_COLUMNS}
        conn.execute(
            insert(card_states).values(learner_id=learner_id, card_id=card_id, **{**base, **values})
        )


def log_answer(
    conn: Connection,
    *,
    learner_id: int,
    card_id: int,
    reviewed_at: datetime,
    study_day: date,
    quality: int,
    scheduled: bool,
    duration_ms: int,
    before: CardState,
    after: CardState,
) -> int:
    values: dict[str, Any] = {
        "learner_id": learner_id,
        "card_id": card_id,
        "reviewed_at": reviewed_at,
        "study_day": study_day,
        "quality": quality,
        "scheduled": scheduled,
        "duration_ms": duration_ms,
        "last_review_before": before.last_review,
    }
    for name in ("ef", "interval", "repetitions", "lapses", "due", "redrill", "leech", "suspended"):
        values[f"{name}_before"] = getattr(before, name)
        values[f"{name}_after"] = getattr(after, name)
    return inserted_id(conn.execute(_INSERT_LOG, values))


def last_log(conn: Connection, learner_id: int) -> Any:
    return conn.execute(
        select(review_log)
        .where(review_log.c.learner_id == learner_id)
        .order_by(review_log.c.id.desc())
        .limit(1)
    ).first()


def state_before(row: Any) -> CardState:
    return CardState(
        ef=row.ef_before,
        interval=row.interval_before,
        repetitions=row.repetitions_before,
        lapses=row.lapses_before,
        due=row.due_before,
        last_review=row.last_review_before,
        redrill=row.redrill_before,
        leech=row.leech_before,
        suspended=row.suspended_before,
    )


def delete_log(conn: Connection, log_id: int) -> None:
    conn.execute(delete(review_log).where(review_log.c.id == log_id))


# --- today's queue -------------------------------------------------------------------------

_live = and_(cards.c.retired_at.is_(None), notes.c.retired_at.is_(None))


def _available(today: date) -> Any:
    return and_(
        or_(card_states.c.suspended.is_(None), card_states.c.suspended.is_(False)),
        or_(card_states.c.buried_until.is_(None), card_states.c.buried_until <= today),
    )


def _state_join(learner_id: int) -> Any:
    return cards.join(notes, notes.c.id == cards.c.note_id).outerjoin(
        card_states,
        and_(card_states.c.card_id == cards.c.id, card_states.c.learner_id == learner_id),
    )


@dataclass(frozen=True, slots=True)
class QueueItem:
    card_id: int
    note_id: int
    deck_id: int
    due: date | None = None


def due_reviews(
    conn: Connection, learner_id: int, deck_id: int, today: date
) -> Iterator[QueueItem]:
    """Cards due for review today in one deck, most overdue first."""
    query = (
        select(cards.c.id, cards.c.note_id, notes.c.deck_id, card_states.c.due)
        .select_from(_state_join(learner_id))
        .where(
            notes.c.deck_id == deck_id,
            _live,
            _available(today),
            card_states.c.due <= today,
            card_states.c.last_review < today,
        )
        .order_by(card_states.c.due, notes.c.position, cards.c.ord)
    )
    for row in conn.execute(query):
        yield QueueItem(row.id, row.note_id, row.deck_id, row.due)


def due_reviews_in(
    conn: Connection, learner_id: int, deck_ids: Sequence[int], today: date
) -> Iterator[QueueItem]:
    """Cards due for review today in several decks, most overdue first.

    One query instead of ``due_reviews`` per deck: the due-date index spans every deck,
    so each per-deck query walked the due cards of all decks. Within a deck the order is
    ``due_reviews``'s.
    """
    if not deck_ids:
        return
    query = (
        select(cards.c.id, cards.c.note_id, notes.c.deck_id, card_states.c.due)
        .select_from(_state_join(learner_id))
        .where(
            notes.c.deck_id.in_(deck_ids),
            _live,
            _available(today),
            card_states.c.due <= today,
            # coalesce() keeps SQLite from choosing the last_review index, which holds
            # every card ever studied, over the due index; a NULL still compares false.
            func.coalesce(card_states.c.last_review, today) < today,
        )
        .order_by(card_states.c.due, notes.c.position, cards.c.ord)
    )
    for row in conn.execute(query):
        yield QueueItem(row.id, row.note_id, row.deck_id, row.due)


def new_cards(conn: Connection, learner_id: int, deck_id: int, today: date) -> Iterator[QueueItem]:
    """Cards this learner has never reviewed in one deck, in deck order."""
    query = (
        select(cards.c.id, cards.c.note_id, notes.c.deck_id)
        .select_from(_state_join(learner_id))
        .where(
            notes.c.deck_id == deck_id,
            _live,
            _available(today),
            card_states.c.last_review.is_(None),
        )
        .order_by(notes.c.position, cards.c.ord)
    )
    for row in conn.execute(query):
        yield QueueItem(row.id, row.note_id, row.deck_id)


def redrill_cards(
    conn: Connection, learner_id: int, deck_ids: Sequence[int], today: date
) -> list[QueueItem]:
    """Cards graded below 4 today that must come back today (SM-2 step 7)."""
    query = (
        select(cards.c.id, cards.c.note_id, notes.c.deck_id)
        .select_from(_state_join(learner_id))
        .where(
            notes.c.deck_id.in_(deck_ids),
            _live,
            _available(today),
            card_states.c.last_review == today,
            card_states.c.redrill.is_(True),
        )
        .order_by(notes.c.position, cards.c.ord)
    )
    return [QueueItem(r.id, r.note_id, r.deck_id) for r in conn.execute(query)]


def notes_studied_today(conn: Connection, learner_id: int, today: date) -> set[int]:
    """Notes with a card already reviewed today, whose siblings wait for another day."""
    query = (
        select(cards.c.note_id)
        .distinct()
        .select_from(card_states.join(cards, cards.c.id == card_states.c.card_id))
        .where(card_states.c.learner_id == learner_id, card_states.c.last_review == today)
    )
    return {int(r[0]) for r in conn.execute(query)}


@dataclass(frozen=True, slots=True)
class DayDone:
    new: int = 0
    reviews: int = 0


def done_today(conn: Connection, learner_id: int, today: date) -> dict[int, DayDone]:
    """Per deck: new cards introduced and reviews answered today (first answers only)."""
    query = (
        select(
            notes.c.deck_id,
            func.sum(case((review_log.c.last_review_before.is_(None), 1), else_=0)),
            func.sum(case((review_log.c.last_review_before.is_not(None), 1), else_=0)),
        )
        .select_from(
            review_log.join(cards, cards.c.id == review_log.c.card_id).join(
                notes, notes.c.id == cards.c.note_id
            )
        )
        .where(
            review_log.c.learner_id == learner_id,
            review_log.c.study_day == today,
            review_log.c.scheduled.is_(True),
        )
        .group_by(notes.c.deck_id)
    )
    return {int(d): DayDone(int(n or 0), int(r or 0)) for d, n, r in conn.execute(query)}


@dataclass(frozen=True, slots=True)
class DeckRow:
    id: int
    key: str
    title: str
    description: str
    version: str
    sources: list[dict[str, Any]]


def deck_rows(conn: Connection) -> list[DeckRow]:
    rows = conn.execute(select(decks).order_by(decks.c.title))
    return [DeckRow(r.id, r.key, r.title, r.description, r.version, r.sources) for r in rows]


@dataclass(frozen=True, slots=True)
class DeckTotals:
    new: int
    due: int
    redrill: int
    cards: int
    suspended: int
    due_tomorrow: int


def deck_totals(
    conn: Connection, learner_id: int, today: date, tomorrow: date
) -> dict[int, DeckTotals]:
    """Raw counts per deck (before daily limits) in one grouped query."""
    s = card_states.c
    available = _available(today)
    query = (
        select(
            notes.c.deck_id,
            func.count(),
            func.sum(case((and_(available, s.last_review.is_(None)), 1), else_=0)),
            func.sum(case((and_(available, s.due <= today, s.last_review < today), 1), else_=0)),
            func.sum(
                case((and_(available, s.last_review == today, s.redrill.is_(True)), 1), else_=0)
            ),
            func.sum(case((s.suspended.is_(True), 1), else_=0)),
            func.sum(case((and_(s.suspended.is_not(True), s.due <= tomorrow), 1), else_=0)),
        )
        .select_from(_state_join(learner_id))
        .where(_live)
        .group_by(notes.c.deck_id)
    )
    return {
        int(d): DeckTotals(
            int(new or 0),
            int(due or 0),
            int(re or 0),
            int(total or 0),
            int(sus or 0),
            int(tom or 0),
        )
        for d, total, new, due, re, sus, tom in conn.execute(query)
    }


def study_days(conn: Connection, learner_id: int) -> list[date]:
    """Every study day with at least one answer, newest first.

    A recursive query steps from one day to the day before it through the
    (learner_id, study_day) index: one index seek per study day, where SELECT DISTINCT
    reads every answer (two years of study: some 700 seeks instead of a million rows).
    """
    log = review_log.c
    days = (
        select(func.max(log.study_day).label("day"))
        .where(log.learner_id == learner_id)
        .cte("study_days", recursive=True)
    )
    later = days.alias("later")
    before = (
        select(func.max(log.study_day))
        .where(log.learner_id == learner_id, log.study_day < later.c.day)
        .scalar_subquery()
    )
    days = days.union_all(select(before).where(later.c.day.is_not(None)))
    query = select(days.c.day).where(days.c.day.is_not(None)).order_by(days.c.day.desc())
    return [r[0] for r in conn.execute(query)]
