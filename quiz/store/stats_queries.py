"""Aggregate queries behind the statistics: per day, per card bucket, per due day, per tag.

Each function runs one grouped query and returns rows whose number depends on days,
decks and buckets, never on how many reviews or cards there are. Only portable
SQLAlchemy Core is used (GROUP BY, COUNT, SUM(CASE ...)), for SQLite and PostgreSQL.

Query shapes follow measurements on SQLite with a million reviews (scripts/bench.py,
scripts/bench_stats.py): the review log is read from its covering ix_review_log_stats index
alone, over a date range and grouped in that index's order so that no sort is needed;
per-tag figures are first summed per card so the tag join sees one row per card; the card
states are walked once for every per-card figure but the hardest cards.
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

from quiz.store.tables import card_states, cards, decks, note_tags, review_log

_LIVE = cards.c.retired_at.is_(None)
"""A live card: a retired note's cards are retired with it, so the notes need not be read."""


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
        return select(cards.c.id).where(*self.conditions)

    def live_card_ids(self) -> Select[tuple[int]]:
        """The scope's cards that are not retired (nor, then, on a retired note)."""
        return self.card_ids().where(_LIVE)

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
        conditions.append(cards.c.deck_id == deck_id)
    if tag is not None:
        tagged = select(note_tags.c.note_id).where(tag_matches(note_tags.c.tag, tag))
        if conn.execute(tagged.limit(1)).first() is None:
            raise UnknownScope(f"no note has the tag {tag!r} or a tag under it")
        conditions.append(cards.c.note_id.in_(tagged))
    return Scope(learner_id, today, tuple(conditions), tag)


def count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


def _int(value: Any) -> int:
    return int(value or 0)


def _with_states(learner_id: int) -> Any:
    """The card groups read cards LEFT JOIN card_states, a card without a row being new.

    Walking cards in order and looking each state up by primary key measured three times
    faster on SQLite than walking card_states through its learner_id index, whose rows
    come in random order. Their WHERE clause must not compare state columns directly:
    that would let SQLite turn the outer join into an inner one and pick the slow order.
    """
    on = and_(card_states.c.card_id == cards.c.id, card_states.c.learner_id == learner_id)
    return cards.outerjoin(card_states, on)


# --- the review log ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DayRow:
    day: date
    answers: int
    young: int
    young_passed: int
    mature: int
    mature_passed: int


def daily(
    conn: Connection, scope: Scope, since: date, *, mature_days: int, pass_quality: int
) -> list[DayRow]:
    """Per study day from ``since`` to today: answers, and review-card answers (scheduled,
    card seen before) split young/mature by interval before, with passes.

    SQL groups by (day, scheduled, quality), the order of ix_review_log_stats, so that
    SQLite streams a year of answers off the index without sorting them; Python folds the
    few rows per day (at most two times six) into the figures. Passing is a matter of the
    quality alone, so no per-answer CASE is needed for it.
    """
    log = review_log.c
    reviewed = log.last_review_before  # NULL on a card's first answer
    query = (
        select(
            log.study_day,
            log.scheduled,
            log.quality,
            func.count(),
            func.count(case((log.interval_before < mature_days, reviewed))),
            func.count(reviewed),
        )
        .where(*scope.log_filter(), log.study_day >= since, log.study_day <= scope.today)
        .group_by(log.study_day, log.scheduled, log.quality)
        .order_by(log.study_day, log.scheduled, log.quality)
    )
    days: list[DayRow] = []
    for day, scheduled, quality, answers, young, seen in conn.execute(query):
        young, mature = (_int(young), _int(seen) - _int(young)) if scheduled else (0, 0)
        passed = quality >= pass_quality
        row = DayRow(
            day, int(answers), young, young if passed else 0, mature, mature if passed else 0
        )
        if days and days[-1].day == day:
            row = _add_days(days.pop(), row)
        days.append(row)
    return days


def _add_days(a: DayRow, b: DayRow) -> DayRow:
    return DayRow(
        a.day,
        a.answers + b.answers,
        a.young + b.young,
        a.young_passed + b.young_passed,
        a.mature + b.mature,
        a.mature_passed + b.mature_passed,
    )


def durations(conn: Connection, scope: Scope, since: date) -> dict[date, int]:
    """Milliseconds spent answering on each study day from ``since`` to today.

    Apart from ``daily`` because only the last weeks are shown: summing a year of
    durations would cost that query about a third more.
    """
    log = review_log.c
    query = (
        select(log.study_day, func.sum(log.duration_ms))
        .where(*scope.log_filter(), log.study_day >= since, log.study_day <= scope.today)
        .group_by(log.study_day)
    )
    return {day: _int(ms) for day, ms in conn.execute(query)}


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
    joined = per_card.join(cards, cards.c.id == per_card.c.card_id)
    query = (
        select(note_tags.c.tag, passed, answers)
        .select_from(joined.join(note_tags, note_tags.c.note_id == cards.c.note_id))
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
    """Live cards sharing a deck, state, EF bucket, interval bucket, queue kind and, for
    studied unsuspended cards due by the forecast's last day, due day."""

    deck_id: int
    state: StateKind
    ef_bucket: int
    interval_bucket: int
    queue: QueueKind
    due: date | None
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
    due_until: date,
) -> list[CardGroup]:
    """One pass over the scope's live cards, grouped by what the statistics break down.

    The forecast's due days are one more grouping column rather than a query of their
    own: walking cards and their states costs far more than the extra groups (one per
    due day and bucket), and only cards due by ``due_until`` get a due day. A card is due
    only once answered: a card without a state row has no due day.

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
    key: ColumnElement[int] = cards.c.deck_id
    for part, size in zip(
        (state, _bucket(s.ef, ef_bounds), _bucket(s.interval, interval_bounds), queue),
        sizes,
        strict=True,
    ):
        key = key * size + part
    due = case((and_(s.suspended.is_not(True), s.due <= due_until), s.due), else_=None)
    inner = (
        select(
            key.label("key"),
            due.label("due"),
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
        inner.c.due,
        func.count(),
        func.sum(inner.c.ef),
        func.sum(inner.c.interval),
        func.sum(inner.c.leech),
    ).group_by(inner.c.key, inner.c.due)
    groups = []
    for packed, due_day, n, ef, interval, leeches in conn.execute(query):
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
                due_day,
                _int(n),
                _int(ef),
                _int(interval),
                _int(leeches),
            )
        )
    return groups


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

    A card never answered keeps the starting EF and no lapses, so it never qualifies: the
    query reads card_states alone, in table order, and keeps the rows whose card is in the
    scope's live cards (a set SQLite builds once from the cards). ``learner_id + 0``
    keeps SQLite off the learner_id indexes, through which it would fetch every state row
    in random order: twice as slow as the plain table scan on 100k cards (113 vs 50 ms).
    """
    s = card_states.c
    query = (
        select(s.card_id, s.ef, s.lapses, s.interval, s.leech, s.suspended)
        .where(
            s.learner_id + 0 == scope.learner_id,
            or_(s.ef < initial_ef, s.lapses > 0),
            s.card_id.in_(scope.live_card_ids()),
        )
        .order_by(s.ef, s.lapses.desc(), s.card_id)
        .limit(limit)
    )
    return [
        HardRow(int(r[0]), int(r[1]), int(r[2]), int(r[3]), bool(r[4]), bool(r[5]))
        for r in conn.execute(query)
    ]
