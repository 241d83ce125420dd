"""Aggregate queries behind the statistics: per day, per card bucket, per due day, per tag.

Each function runs one grouped query and returns rows whose number depends on days,
decks and buckets, never on how many reviews or cards there are. Only portable
SQLAlchemy Core is used (GROUP BY, COUNT, SUM(CASE ...)), for SQLite and PostgreSQL.

Query shapes follow measurements on SQLite with a million reviews (scripts/bench_stats.py):
the review log is read through its (learner_id, study_day) index over a date range, and
per-tag figures are first summed per card so the tag join sees one row per card.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    Select,
    and_,
    case,
    cast,
    func,
    or_,
    select,
)

from quiz.store.tables import card_states, cards, decks, note_tags, notes, review_log


class UnknownScope(LookupError):
    """A deck or tag filter that matches nothing; the message says which and what to do."""


class StateKind(IntEnum):
    """A card's place in the exclusive state breakdown."""

    NEW = 0
    LEARNING = 1
    YOUNG = 2
    MATURE = 3
    SUSPENDED = 4


class QueueKind(IntEnum):
    """What a card is in today's queue, before daily limits."""

    NONE = 0
    NEW = 1
    DUE = 2
    REDRILL = 3


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose statistics, as of which study day, for which cards (no conditions: every card)."""

    learner_id: int
    today: date
    conditions: tuple[ColumnElement[bool], ...] = ()
    tag: str | None = None

    def card_ids(self) -> Select[tuple[int]]:
        return (
            select(cards.c.id)
            .select_from(cards.join(notes, notes.c.id == cards.c.note_id))
            .where(*self.conditions)
        )

    def log_filter(self) -> tuple[ColumnElement[bool], ...]:
        # Unfiltered, the review log is read alone, without joining cards.
        mine = review_log.c.learner_id == self.learner_id
        if not self.conditions:
            return (mine,)
        return (mine, review_log.c.card_id.in_(self.card_ids()))


def tag_matches(column: Any, tag: str) -> ColumnElement[bool]:
    """The tag itself or a descendant, compared exactly (LIKE would ignore case on SQLite)."""
    prefix = tag + "::"
    return or_(column == tag, func.substr(column, 1, len(prefix)) == prefix)


def resolve_scope(
    conn: Connection, learner_id: int, today: date, deck: str | None, tag: str | None
) -> Scope:
    """The scope for a deck id and/or a tag.

    Raises:
        UnknownScope: If no deck has that id, or no note carries the tag or one under it.
    """
    conditions: list[ColumnElement[bool]] = []
    if deck is not None:
        deck_id = conn.execute(select(decks.c.id).where(decks.c.key == deck)).scalar()
        if deck_id is None:
            raise UnknownScope(f"no deck with id {deck!r}; `quiz decks` lists them")
        conditions.append(notes.c.deck_id == deck_id)
    if tag is not None:
        tagged = select(note_tags.c.note_id).where(tag_matches(note_tags.c.tag, tag))
        if conn.execute(tagged.limit(1)).first() is None:
            raise UnknownScope(f"no note has the tag {tag!r} or a tag under it")
        conditions.append(notes.c.id.in_(tagged))
    return Scope(learner_id, today, tuple(conditions), tag)


def count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


def _int(value: Any) -> int:
    return int(value or 0)


_LIVE = and_(cards.c.retired_at.is_(None), notes.c.retired_at.is_(None))


def _with_states(learner_id: int) -> Any:
    """Live-card queries read cards LEFT JOIN card_states, a card without a row being new.

    Their WHERE clauses compare state columns through COALESCE (a missing row has the
    defaults of a new card) rather than directly: a direct comparison lets SQLite turn the
    outer join into an inner one and walk card_states through a learner_id index in random
    order, which measured three times slower than scanning cards and looking states up by
    primary key. PostgreSQL plans both forms alike.
    """
    on = and_(card_states.c.card_id == cards.c.id, card_states.c.learner_id == learner_id)
    return cards.join(notes, notes.c.id == cards.c.note_id).outerjoin(card_states, on)


# --- the review log ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DayRow:
    day: date
    answers: int
    ms: int
    young: int
    young_passed: int
    mature: int
    mature_passed: int


def daily(
    conn: Connection, scope: Scope, since: date, *, mature_days: int, pass_quality: int
) -> list[DayRow]:
    """Per study day from ``since`` to today: answers, time, and review-card answers
    (scheduled, card seen before) split young/mature by interval before, with passes."""
    log = review_log.c
    review = and_(log.scheduled.is_(True), log.last_review_before.is_not(None))
    young = and_(review, log.interval_before < mature_days)
    mature = and_(review, log.interval_before >= mature_days)
    passed = log.quality >= pass_quality
    query = (
        select(
            log.study_day,
            func.count(),
            func.sum(log.duration_ms),
            count_if(young),
            count_if(and_(young, passed)),
            count_if(mature),
            count_if(and_(mature, passed)),
        )
        .where(*scope.log_filter(), log.study_day >= since, log.study_day <= scope.today)
        .group_by(log.study_day)
        .order_by(log.study_day)
    )
    return [DayRow(r[0], *(_int(v) for v in r[1:])) for r in conn.execute(query)]


def tag_accuracy(
    conn: Connection,
    scope: Scope,
    since: date,
    *,
    pass_quality: int,
    min_answers: int,
    limit: int,
) -> list[tuple[str, int, int]]:
    """(tag, passed, answers) of scheduled answers since a day, worst accuracy first.

    Tags with fewer than ``min_answers`` answers are left out. With a tag filter only
    that tag and its descendants are listed, not the other tags its notes carry.
    """
    log = review_log.c
    per_card = (
        select(
            log.card_id.label("card_id"),
            count_if(log.quality >= pass_quality).label("passed"),
            func.count().label("answers"),
        )
        .where(
            log.learner_id == scope.learner_id,
            log.scheduled.is_(True),
            log.study_day >= since,
            log.study_day <= scope.today,
        )
        .group_by(log.card_id)
        .subquery()
    )
    passed = func.sum(per_card.c.passed)
    answers = func.sum(per_card.c.answers)
    conditions = list(scope.conditions)
    if scope.tag is not None:
        conditions.append(tag_matches(note_tags.c.tag, scope.tag))
    query = (
        select(note_tags.c.tag, passed, answers)
        .select_from(
            per_card.join(cards, cards.c.id == per_card.c.card_id)
            .join(notes, notes.c.id == cards.c.note_id)
            .join(note_tags, note_tags.c.note_id == notes.c.id)
        )
        .where(*conditions)
        .group_by(note_tags.c.tag)
        .having(answers >= min_answers)
        .order_by((cast(passed, Float) / answers).asc(), answers.desc(), note_tags.c.tag)
        .limit(limit)
    )
    return [(str(tag), _int(p), _int(n)) for tag, p, n in conn.execute(query)]


# --- card states ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CardGroup:
    """Live cards sharing a deck, state, EF bucket, interval bucket and queue kind."""

    deck_id: int
    state: StateKind
    ef_bucket: int
    interval_bucket: int
    queue: QueueKind
    cards: int
    ef_sum: int
    interval_sum: int
    leeches: int


def _bucket(column: Any, bounds: Sequence[int]) -> ColumnElement[int]:
    """The index of the bucket a value falls in, given each bucket's lower bound."""
    whens = [(column < upper, i) for i, upper in enumerate(bounds[1:])]
    return case(*whens, else_=len(bounds) - 1)


def card_groups(
    conn: Connection,
    scope: Scope,
    *,
    mature_days: int,
    ef_bounds: Sequence[int],
    interval_bounds: Sequence[int],
) -> list[CardGroup]:
    """One pass over the scope's live cards, grouped by what the statistics break down.

    The five properties of a card are packed into one integer, the GROUP BY key: SQLite
    sorts 100,000 single integers in about two thirds of the time it takes to sort
    five-column keys (scripts/bench_stats.py), and PostgreSQL does not mind. The key is
    computed in a subquery so that no bound parameter appears in GROUP BY, which
    PostgreSQL could not match to the select list otherwise.
    """
    s = card_states.c
    today = scope.today
    available = and_(
        s.suspended.is_not(True), or_(s.buried_until.is_(None), s.buried_until <= today)
    )
    redrilling = and_(s.redrill.is_(True), s.last_review == today)
    state = case(
        (s.suspended.is_(True), int(StateKind.SUSPENDED)),
        (s.last_review.is_(None), int(StateKind.NEW)),
        (redrilling, int(StateKind.LEARNING)),
        (s.interval < mature_days, int(StateKind.YOUNG)),
        else_=int(StateKind.MATURE),
    )
    queue = case(
        (~available, int(QueueKind.NONE)),
        (s.last_review.is_(None), int(QueueKind.NEW)),
        (and_(s.due <= today, s.last_review < today), int(QueueKind.DUE)),
        (redrilling, int(QueueKind.REDRILL)),
        else_=int(QueueKind.NONE),
    )
    sizes = (len(StateKind), len(ef_bounds), len(interval_bounds), len(QueueKind))
    key: ColumnElement[int] = notes.c.deck_id
    for part, size in zip(
        (state, _bucket(s.ef, ef_bounds), _bucket(s.interval, interval_bounds), queue),
        sizes,
        strict=True,
    ):
        key = key * size + part
    inner = (
        select(
            key.label("key"),
            s.ef.label("ef"),
            s.interval.label("interval"),
            case((s.leech.is_(True), 1), else_=0).label("leech"),
        )
        .select_from(_with_states(scope.learner_id))
        .where(_LIVE, *scope.conditions)
        .subquery()
    )
    query = select(
        inner.c.key,
        func.count(),
        func.sum(inner.c.ef),
        func.sum(inner.c.interval),
        func.sum(inner.c.leech),
    ).group_by(inner.c.key)
    groups = []
    for packed, n, ef, interval, leeches in conn.execute(query):
        rest, queue_kind = divmod(int(packed), sizes[3])
        rest, interval_bucket = divmod(rest, sizes[2])
        rest, ef_bucket = divmod(rest, sizes[1])
        deck_id, state_kind = divmod(rest, sizes[0])
        groups.append(
            CardGroup(
                deck_id,
                StateKind(state_kind),
                ef_bucket,
                interval_bucket,
                QueueKind(queue_kind),
                _int(n),
                _int(ef),
                _int(interval),
                _int(leeches),
            )
        )
    return groups


def due_counts(conn: Connection, scope: Scope, until: date) -> list[tuple[date, int]]:
    """Studied, unsuspended live cards per due day up to ``until`` (overdue days included)."""
    s = card_states.c
    # A card is due only once answered: new cards (no row, or a row without a due day) never
    # match, and comparing through COALESCE keeps the join outer (see _with_states).
    query = (
        select(s.due, func.count())
        .select_from(_with_states(scope.learner_id))
        .where(
            _LIVE,
            *scope.conditions,
            s.suspended.is_not(True),
            func.coalesce(s.due, date.max) <= until,
        )
        .group_by(s.due)
    )
    return [(day, int(n)) for day, n in conn.execute(query)]


@dataclass(frozen=True, slots=True)
class HardRow:
    card_id: int
    ef: int
    lapses: int
    interval: int
    leech: bool
    suspended: bool


def hardest(conn: Connection, scope: Scope, *, initial_ef: int, limit: int) -> list[HardRow]:
    """Live cards below the starting EF or with lapses: lowest EF first, then most lapses.

    A card never answered keeps the starting EF and no lapses, so it never qualifies.
    """
    s = card_states.c
    query = (
        select(cards.c.id, s.ef, s.lapses, s.interval, s.leech, s.suspended)
        .select_from(_with_states(scope.learner_id))
        .where(
            _LIVE,
            *scope.conditions,
            or_(func.coalesce(s.ef, initial_ef) < initial_ef, func.coalesce(s.lapses, 0) > 0),
        )
        .order_by(s.ef, s.lapses.desc(), cards.c.id)
        .limit(limit)
    )
    return [
        HardRow(int(r[0]), int(r[1]), int(r[2]), int(r[3]), bool(r[4]), bool(r[5]))
        for r in conn.execute(query)
    ]
