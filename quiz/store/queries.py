"""Queries the services run: card states, the review log, today's queue and counts.

Every function takes an open connection; the caller owns the transaction.
Only portable SQLAlchemy Core is used, so the same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    CursorResult,
    Date,
    Integer,
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


MARK_COLUMNS = ("suspended", "buried_until", "flagged_at", "flag_note")
"""What suspend, bury and flag change on a card's state: never its schedule."""


def get_marks(conn: Connection, learner_id: int, card_id: int) -> dict[str, Any] | None:
    """A card's suspend, bury and flag columns, or None if it has no state row."""
    row = conn.execute(
        select(*(card_states.c[c] for c in MARK_COLUMNS)).where(_ONE_STATE),
        _key(learner_id, card_id),
    ).first()
    return None if row is None else dict(row._mapping)


def put_marks(
    conn: Connection, learner_id: int, card_id: int, marks: dict[str, Any] | None
) -> None:
    """Put back marks read by ``get_marks``; None deletes the row the marking created."""
    if marks is None:
        conn.execute(
            delete(card_states).where(
                card_states.c.learner_id == learner_id, card_states.c.card_id == card_id
            )
        )
    else:
        set_flags(conn, learner_id, card_id, **marks)


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
    chosen_option: str | None = None,
) -> int:
    values: dict[str, Any] = {
        "chosen_option": chosen_option,
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
# Built once with bound parameters, like the answer's statements: the home screen and each
# session start run them, and building a statement costs more than running the small ones.

_LEARNER = bindparam("learner_id", type_=Integer)
_TODAY = bindparam("today", type_=Date)
_DECK_IDS = bindparam("deck_ids", expanding=True, type_=Integer)

_live = and_(cards.c.retired_at.is_(None), notes.c.retired_at.is_(None))
_live_card = cards.c.retired_at.is_(None)
"""Live, for queries without the notes: a retired note's cards are retired with it."""
_available = and_(
    or_(card_states.c.suspended.is_(None), card_states.c.suspended.is_(False)),
    or_(card_states.c.buried_until.is_(None), card_states.c.buried_until <= _TODAY),
)
_with_state = cards.join(notes, notes.c.id == cards.c.note_id).outerjoin(
    card_states, and_(card_states.c.card_id == cards.c.id, card_states.c.learner_id == _LEARNER)
)
"""Every card, with this learner's state if it has one (new cards have none)."""

_studied = card_states.join(cards, cards.c.id == card_states.c.card_id)
"""Cards this learner has a state for: the due-date index drives these queries. The card
row has its deck; a query joins the note only for its position, the deck's order."""

_studied_in_order = _studied.join(notes, notes.c.id == cards.c.note_id)


class QueueItem(NamedTuple):
    """A card in today's queue (a tuple: the home screen builds thousands of these)."""

    card_id: int
    note_id: int
    deck_id: int
    due: date | None = None


_READY_TODAY = and_(
    card_states.c.due <= _TODAY,
    # Not yet answered today: a card answered today comes back only as a re-drill.
    func.coalesce(card_states.c.last_review, _TODAY) < _TODAY,
    or_(card_states.c.buried_until.is_(None), card_states.c.buried_until <= _TODAY),
)

_DUE_CARDS = (
    select(
        cards.c.id, cards.c.note_id, cards.c.deck_id, card_states.c.due, _READY_TODAY.label("ready")
    )
    .select_from(_studied)
    .where(
        card_states.c.learner_id == _LEARNER,
        card_states.c.due <= bindparam("until", type_=Date),
        card_states.c.suspended.is_not(True),
        cards.c.deck_id.in_(_DECK_IDS),
        _live_card,
    )
    .order_by(card_states.c.due, cards.c.id)
)

_DUE_BATCH = 256
"""Rows fetched at a time: callers stop reading once every deck has its day's reviews."""


def due_cards(
    conn: Connection, learner_id: int, deck_ids: Sequence[int], today: date, until: date
) -> Iterator[tuple[QueueItem, bool]]:
    """Cards of these decks due by ``until``, not suspended, most overdue first; each with
    whether it can be reviewed today (due, not buried, not answered yet today).

    One query for all decks: the due-date index spans every deck, so a query per deck
    would walk the due cards of all decks each time. Most overdue first, then the oldest
    card (lowest id) first. Every column it reads is in the due-date index or the narrow
    card row (deck, retired): breaking ties by deck order instead would read each due
    card's note for its position, a third of the day plan's time at 100k cards.
    """
    if not deck_ids:
        return
    params = {"learner_id": learner_id, "today": today, "until": until, "deck_ids": [*deck_ids]}
    for rows in conn.execute(_DUE_CARDS, params).partitions(_DUE_BATCH):
        for card_id, note_id, deck_id, due, ready in rows:
            yield QueueItem(card_id, note_id, deck_id, due), bool(ready)


_NEW_CARDS = (
    select(cards.c.id, cards.c.note_id)
    .select_from(_with_state)
    .where(
        notes.c.deck_id == bindparam("deck_id", type_=Integer),
        _live,
        _available,
        card_states.c.last_review.is_(None),
    )
    .order_by(notes.c.position, cards.c.ord)
)


def new_cards(conn: Connection, learner_id: int, deck_id: int, today: date) -> Iterator[QueueItem]:
    """Cards this learner has never reviewed in one deck, in deck order."""
    params = {"learner_id": learner_id, "deck_id": deck_id, "today": today}
    for card_id, note_id in conn.execute(_NEW_CARDS, params):
        yield QueueItem(card_id, note_id, deck_id)


_REDRILL_CARDS = (
    select(cards.c.id, cards.c.note_id, cards.c.deck_id)
    .select_from(_studied_in_order)
    .where(
        card_states.c.learner_id == _LEARNER,
        card_states.c.last_review == _TODAY,
        card_states.c.redrill.is_(True),
        _available,
        cards.c.deck_id.in_(_DECK_IDS),
        _live_card,
    )
    .order_by(notes.c.position, cards.c.ord)
)


def redrill_cards(
    conn: Connection, learner_id: int, deck_ids: Sequence[int], today: date
) -> list[QueueItem]:
    """Cards graded below 4 today that must come back today (SM-2 step 7)."""
    if not deck_ids:
        return []
    params = {"learner_id": learner_id, "today": today, "deck_ids": list(deck_ids)}
    return [QueueItem(*row) for row in conn.execute(_REDRILL_CARDS, params)]


_NOTES_STUDIED_TODAY = (
    select(cards.c.note_id)
    .distinct()
    .select_from(card_states.join(cards, cards.c.id == card_states.c.card_id))
    .where(card_states.c.learner_id == _LEARNER, card_states.c.last_review == _TODAY)
)


def notes_studied_today(conn: Connection, learner_id: int, today: date) -> set[int]:
    """Notes with a card already reviewed today, whose siblings wait for another day."""
    rows = conn.execute(_NOTES_STUDIED_TODAY, {"learner_id": learner_id, "today": today})
    return {int(r[0]) for r in rows}


@dataclass(frozen=True, slots=True)
class DayDone:
    new: int = 0
    reviews: int = 0


_DONE_TODAY = (
    select(
        cards.c.deck_id,
        func.sum(case((review_log.c.last_review_before.is_(None), 1), else_=0)),
        func.sum(case((review_log.c.last_review_before.is_not(None), 1), else_=0)),
    )
    .select_from(review_log.join(cards, cards.c.id == review_log.c.card_id))
    .where(
        review_log.c.learner_id == _LEARNER,
        review_log.c.study_day == _TODAY,
        review_log.c.scheduled.is_(True),
    )
    .group_by(cards.c.deck_id)
)


def done_today(conn: Connection, learner_id: int, today: date) -> dict[int, DayDone]:
    """Per deck: new cards introduced and reviews answered today (first answers only)."""
    rows = conn.execute(_DONE_TODAY, {"learner_id": learner_id, "today": today})
    return {int(d): DayDone(int(n or 0), int(r or 0)) for d, n, r in rows}


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


_DUE_BY = (
    select(cards.c.deck_id, func.count())
    .select_from(_studied)
    .where(
        card_states.c.learner_id == _LEARNER,
        card_states.c.due <= bindparam("day", type_=Date),
        card_states.c.suspended.is_not(True),
        _live_card,
    )
    .group_by(cards.c.deck_id)
)


def due_by(conn: Connection, learner_id: int, day: date) -> dict[int, int]:
    """Per deck: cards due on or before ``day`` that are not suspended (buried ones count:
    burial ends with the day). The due-date index holds all it filters on."""
    rows = conn.execute(_DUE_BY, {"learner_id": learner_id, "day": day})
    return {int(d): int(n) for d, n in rows}


_DECK_SIZES = select(cards.c.deck_id, func.count()).where(_live_card).group_by(cards.c.deck_id)


def deck_sizes(conn: Connection) -> dict[int, int]:
    """Live cards per deck. Counts every card, off the (deck_id, retired_at) index: for
    listings, not for each screen refresh."""
    return {int(d): int(n) for d, n in conn.execute(_DECK_SIZES)}


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
