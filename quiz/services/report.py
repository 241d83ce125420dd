"""Instructor reports: per-card item analysis across all learners, and what an import would change.

Counts (reviews, lapses, EF) are computed by grouped SQL over ``review_log`` and
``card_states`` (portable SQLAlchemy Core). The classical item analysis
(quiz.domain.items) needs each learner's first attempt at each card, one row per
learner and card studied, read once and analysed in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection, case, func, or_, select

from quiz.decks.diagnostics import Diagnostic
from quiz.decks.loader import LoadedDeck
from quiz.domain.items import Finding, Issue, ItemStats, OptionInfo, Response, analyse
from quiz.domain.moves import CardKey
from quiz.domain.notes import Note, NoteType
from quiz.domain.plan import ImportPlan, Snapshot, plan_import, snapshot_of
from quiz.domain.sm2 import PASS_QUALITY
from quiz.store.tables import card_states, cards, decks, notes, review_log

_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Flag:
    """One learner's flag on a card; who flagged it is left out on purpose (see card_report)."""

    at: datetime
    note: str | None


@dataclass(frozen=True, slots=True)
class CardStats:
    """How one card has gone for every learner who studied it."""

    card_id: int
    deck: str
    note: str
    ord: int
    type: NoteType
    prompt: str
    reviews: int
    """Scheduled answers (a day's first answer), all learners together."""

    learners: int
    """Learners who have answered the card."""

    first_answers: int
    """Learners' first-ever answers on the card (one per learner)."""

    first_passed: int
    """Of those, the ones graded 3 or better."""

    ef_total: int
    """Sum of the learners' current EF, in hundredths, over ``ef_count`` learners."""

    ef_count: int
    lapses: int
    leeches: int
    """Learners for whom the card is a leech."""

    flags: tuple[Flag, ...] = ()
    items: ItemStats | None = None
    """Classical item analysis of the learners' first attempts (None if nobody answered)."""

    @property
    def findings(self) -> tuple[Finding, ...]:
        """What looks wrong with the card, worst first: the statistics' flags and students'."""
        found = list(self.items.findings) if self.items is not None else []
        if self.flags:
            found.append(Finding(Issue.STUDENT_FLAG, f"flagged by {len(self.flags)} learner(s)"))
        return tuple(sorted(found, key=lambda f: f.issue))

    @property
    def ref(self) -> str:
        return f"{self.deck}:{self.note}:{self.ord}"

    @property
    def first_try(self) -> Fraction | None:
        """Share of learners whose first-ever answer passed; None if nobody has answered."""
        return Fraction(self.first_passed, self.first_answers) if self.first_answers else None

    @property
    def average_ef(self) -> Decimal | None:
        """Mean EF of the learners studying the card (2.50 for a new card), to 2 places."""
        if not self.ef_count:
            return None
        return (Decimal(self.ef_total) / self.ef_count / 100).quantize(_CENT, ROUND_HALF_UP)

    def sort_key(self) -> tuple[Any, ...]:
        """Worst first: by the worst finding (Issue order), then the most findings and the
        lowest discrimination; then flagged, leeches, lowest first-try accuracy, most
        lapses, lowest EF."""
        first_try = self.first_try
        findings = self.findings
        index = None
        if self.items is not None:
            index = self.items.r_pb if self.items.r_pb is not None else self.items.d
        return (
            min((f.issue for f in findings), default=len(Issue)),
            -len(findings),
            index if index is not None and findings else 2.0,
            -len(self.flags),
            -self.leeches,
            first_try if first_try is not None else Fraction(2),
            -self.lapses,
            self.average_ef if self.average_ef is not None else Decimal(99),
            self.deck,
            self.note,
            self.ord,
        )


def card_report(
    conn: Connection, *, deck_key: str | None = None, min_reviews: int = 1
) -> list[CardStats]:
    """Item analysis of every live card, worst first.

    Cards with fewer than ``min_reviews`` scheduled answers are left out unless
    a learner flagged them. Flags are reported without the learner's name: the
    report is for fixing cards, not for grading students.
    """
    rl = review_log
    answered = (
        select(
            rl.c.card_id,
            func.sum(case((rl.c.scheduled.is_(True), 1), else_=0)).label("reviews"),
            func.count(func.distinct(rl.c.learner_id)).label("learners"),
        )
        .group_by(rl.c.card_id)
        .subquery("answered")
    )
    # A learner's first-ever answer on a card is their lowest log id for it; undo
    # deletes log rows, so an undone first answer is not counted.
    first_ids = (
        select(func.min(rl.c.id).label("id")).group_by(rl.c.learner_id, rl.c.card_id).subquery()
    )
    first = (
        select(
            rl.c.card_id,
            func.count().label("first_answers"),
            func.sum(case((rl.c.quality >= PASS_QUALITY, 1), else_=0)).label("first_passed"),
        )
        .select_from(rl.join(first_ids, first_ids.c.id == rl.c.id))
        .group_by(rl.c.card_id)
        .subquery("first")
    )
    cs = card_states
    studied = cs.c.last_review.is_not(None)
    states = (
        select(
            cs.c.card_id,
            func.sum(case((studied, cs.c.ef), else_=0)).label("ef_total"),
            func.sum(case((studied, 1), else_=0)).label("ef_count"),
            func.sum(cs.c.lapses).label("lapses"),
            func.sum(case((cs.c.leech.is_(True), 1), else_=0)).label("leeches"),
            func.sum(case((cs.c.flagged_at.is_not(None), 1), else_=0)).label("flags"),
        )
        .group_by(cs.c.card_id)
        .subquery("states")
    )
    reviews = func.coalesce(answered.c.reviews, 0)
    query = (
        select(
            cards.c.id,
            decks.c.key.label("deck"),
            notes.c.key.label("note"),
            notes.c.type,
            notes.c.fields,
            cards.c.ord,
            reviews.label("reviews"),
            func.coalesce(answered.c.learners, 0).label("learners"),
            func.coalesce(first.c.first_answers, 0).label("first_answers"),
            func.coalesce(first.c.first_passed, 0).label("first_passed"),
            func.coalesce(states.c.ef_total, 0).label("ef_total"),
            func.coalesce(states.c.ef_count, 0).label("ef_count"),
            func.coalesce(states.c.lapses, 0).label("lapses"),
            func.coalesce(states.c.leeches, 0).label("leeches"),
        )
        .select_from(
            cards.join(notes, notes.c.id == cards.c.note_id)
            .join(decks, decks.c.id == notes.c.deck_id)
            .outerjoin(answered, answered.c.card_id == cards.c.id)
            .outerjoin(first, first.c.card_id == cards.c.id)
            .outerjoin(states, states.c.card_id == cards.c.id)
        )
        .where(
            cards.c.retired_at.is_(None),
            notes.c.retired_at.is_(None),
            or_(reviews >= min_reviews, func.coalesce(states.c.flags, 0) > 0),
        )
    )
    if deck_key is not None:
        query = query.where(decks.c.key == deck_key)
    rows = conn.execute(query).all()
    flags = _flags(conn, [r.id for r in rows])
    items = analyse(_first_attempts(conn, deck_key), _mcq_options(rows))
    found = [
        CardStats(
            card_id=r.id,
            deck=r.deck,
            note=r.note,
            ord=r.ord,
            type=NoteType(r.type),
            prompt=_prompt(r.note, r.type, r.fields, r.ord),
            reviews=int(r.reviews),
            learners=int(r.learners),
            first_answers=int(r.first_answers),
            first_passed=int(r.first_passed),
            ef_total=int(r.ef_total),
            ef_count=int(r.ef_count),
            lapses=int(r.lapses),
            leeches=int(r.leeches),
            flags=tuple(flags.get(r.id, ())),
            items=items.get(r.id),
        )
        for r in rows
    ]
    found.sort(key=CardStats.sort_key)
    return found


def _first_attempts(conn: Connection, deck_key: str | None) -> list[Response]:
    """Every learner's first answer on every live card (of one deck), the rest-scores' input."""
    rl = review_log
    first_ids = (
        select(func.min(rl.c.id).label("id")).group_by(rl.c.learner_id, rl.c.card_id).subquery()
    )
    query = (
        select(rl.c.learner_id, rl.c.card_id, rl.c.quality, rl.c.chosen_option)
        .select_from(
            rl.join(first_ids, first_ids.c.id == rl.c.id).join(cards, cards.c.id == rl.c.card_id)
        )
        .where(cards.c.retired_at.is_(None))
    )
    if deck_key is not None:
        query = query.join(decks, decks.c.id == cards.c.deck_id).where(decks.c.key == deck_key)
    return [
        Response(learner, card, quality >= PASS_QUALITY, option)
        for learner, card, quality, option in conn.execute(query)
    ]


def _mcq_options(rows: Any) -> dict[int, list[OptionInfo]]:
    found: dict[int, list[OptionInfo]] = {}
    for r in rows:
        if r.type != str(NoteType.MCQ):
            continue
        try:
            options = Note(r.note, NoteType.MCQ, r.fields).options()
        except (KeyError, TypeError):  # a stored note this version cannot read
            continue
        found[r.id] = [OptionInfo(o.id, o.text, o.correct) for o in options]
    return found


def _prompt(key: str, kind: str, fields: Any, ord_: int) -> str:
    try:
        return Note(key, NoteType(kind), fields).render(ord_).prompt
    except (ValueError, KeyError):  # a stored note this version cannot render
        return ""


def _flags(conn: Connection, card_ids: list[int]) -> dict[int, list[Flag]]:
    found: dict[int, list[Flag]] = {}
    for start in range(0, len(card_ids), 500):  # bounded IN lists for every database
        chunk = card_ids[start : start + 500]
        rows = conn.execute(
            select(card_states.c.card_id, card_states.c.flagged_at, card_states.c.flag_note)
            .where(card_states.c.card_id.in_(chunk), card_states.c.flagged_at.is_not(None))
            .order_by(card_states.c.card_id, card_states.c.flagged_at)
        )
        for card_id, at, note in rows:
            found.setdefault(card_id, []).append(Flag(at, note))
    return found


def deck_exists(conn: Connection, deck_key: str) -> bool:
    return conn.execute(select(decks.c.id).where(decks.c.key == deck_key)).first() is not None


# --- what an import would change ---------------------------------------------------------


def learners_per_card(conn: Connection, deck_key: str) -> dict[CardKey, int]:
    """Learners with progress (a reviewed card) on each card of an imported deck."""
    query = (
        select(notes.c.key, cards.c.ord, func.count(card_states.c.learner_id))
        .select_from(
            card_states.join(cards, cards.c.id == card_states.c.card_id)
            .join(notes, notes.c.id == cards.c.note_id)
            .join(decks, decks.c.id == notes.c.deck_id)
        )
        .where(decks.c.key == deck_key, card_states.c.last_review.is_not(None))
        .group_by(notes.c.key, cards.c.ord)
    )
    return {(key, int(ord_)): int(n) for key, ord_, n in conn.execute(query)}


def diff_decks(
    old: LoadedDeck, new: LoadedDeck, learners: dict[CardKey, int] | None = None
) -> ImportPlan:
    """What importing ``new`` over ``old`` would change, without any database.

    ``old`` stands for the deck as if it had been imported (see snapshot_of), and the
    import planner itself plans ``new`` against it. Learner counts are zero unless given
    (learners_per_card reads real ones).
    """
    if old.deck.id != new.deck.id:  # importing new would create another deck
        return plan_import(Snapshot(new.deck.id, exists=False), new.deck)
    return plan_import(snapshot_of(old.deck, learners), new.deck)


def move_problems(previous: LoadedDeck, current: LoadedDeck) -> list[Diagnostic]:
    """Each `from:` of ``current`` naming a card ``previous`` does not have, as an error."""
    from quiz.services.importer import problem_diagnostic

    plan = diff_decks(previous, current)
    return [problem_diagnostic(current.path, p) for p in plan.errors]


# --- per learner, for the instructor -----------------------------------------------------

WEAK_TAG_MIN = 3
"""A tag needs this many first attempts by a learner before it can be called weak."""


@dataclass(frozen=True, slots=True)
class TagScore:
    tag: str
    correct: int
    answered: int

    @property
    def share(self) -> float:
        return self.correct / self.answered


@dataclass(frozen=True, slots=True)
class LearnerStats:
    """One learner's first attempts: how many, how many right, and their weakest tags."""

    name: str
    answered: int
    """Cards answered at least once (each card's first attempt counts)."""

    correct: int
    answers: int
    """Every answer, re-drills and reviews included."""

    weakest: tuple[TagScore, ...]

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answered if self.answered else None


def learner_report(
    conn: Connection,
    *,
    deck_key: str | None = None,
    weakest: int = 3,
    min_answers: int = WEAK_TAG_MIN,
) -> list[LearnerStats]:
    """Each learner who answered a live card (of one deck): first-try accuracy and the
    ``weakest`` tags by first-try accuracy (tags with at least ``min_answers`` first
    attempts), lowest accuracy first; learners in name order."""
    from quiz.store.tables import learners

    rl = review_log
    first_ids = (
        select(func.min(rl.c.id).label("id")).group_by(rl.c.learner_id, rl.c.card_id).subquery()
    )
    query = (
        select(learners.c.name, rl.c.quality, notes.c.tags)
        .select_from(
            rl.join(first_ids, first_ids.c.id == rl.c.id)
            .join(learners, learners.c.id == rl.c.learner_id)
            .join(cards, cards.c.id == rl.c.card_id)
            .join(notes, notes.c.id == cards.c.note_id)
            .join(decks, decks.c.id == cards.c.deck_id)
        )
        .where(cards.c.retired_at.is_(None))
    )
    totals = (
        select(learners.c.name, func.count())
        .select_from(
            rl.join(learners, learners.c.id == rl.c.learner_id)
            .join(cards, cards.c.id == rl.c.card_id)
            .join(decks, decks.c.id == cards.c.deck_id)
        )
        .where(cards.c.retired_at.is_(None))
        .group_by(learners.c.name)
    )
    if deck_key is not None:
        query = query.where(decks.c.key == deck_key)
        totals = totals.where(decks.c.key == deck_key)
    per: dict[str, list[int]] = {}
    tags: dict[str, dict[str, list[int]]] = {}
    for name, quality, note_tags in conn.execute(query):
        right = int(quality >= PASS_QUALITY)
        mine = per.setdefault(name, [0, 0])
        mine[0] += right
        mine[1] += 1
        for tag in note_tags or ():
            score = tags.setdefault(name, {}).setdefault(str(tag), [0, 0])
            score[0] += right
            score[1] += 1
    answers = {name: int(n) for name, n in conn.execute(totals)}
    found = []
    for name in sorted(per):
        scored = [
            TagScore(tag, right, n)
            for tag, (right, n) in tags.get(name, {}).items()
            if n >= min_answers
        ]
        scored.sort(key=lambda t: (t.share, -t.answered, t.tag))
        right, n = per[name]
        found.append(LearnerStats(name, n, right, answers.get(name, n), tuple(scored[:weakest])))
    return found
