"""A day's review session: today's queue, answering, SM-2 re-drill, undo, suspend, bury, flag.

Each answer is committed in its own short transaction before the next card is
served, so quitting or crashing at any point loses nothing that was answered.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, select, update

from quiz.domain import sm2
from quiz.domain.grading import Grade, grades
from quiz.domain.sm2 import CardState
from quiz.services.cards import CardInfo, load_cards, shown_to
from quiz.services.context import Quiz
from quiz.store import queries
from quiz.store.tables import card_states, cards, decks, notes


@dataclass(frozen=True, slots=True)
class StudyCard:
    """The card on screen, with what each grade would do to it."""

    info: CardInfo
    state: CardState
    repeat: bool
    """A same-day re-drill: grades only decide whether it comes back today."""

    flagged: bool
    flag_note: str | None = None
    """The learner's reason for the flag, if they gave one."""

    @property
    def card_id(self) -> int:
        return self.info.card_id


@dataclass(frozen=True, slots=True)
class Answered:
    log_id: int
    card_id: int
    quality: int
    repeat: bool
    duration_ms: int
    before: CardState
    after: CardState


@dataclass(frozen=True, slots=True)
class Marked:
    """A suspend, bury, flag or unflag this session did, with what it replaced."""

    card_id: int
    action: str
    """"suspend", "bury", "flag" or "unflag"."""
    before: dict[str, object] | None
    """The card's suspend, bury and flag columns before; None: it had no state row."""
    queue: tuple[int, ...]
    redrill: tuple[int, ...]
    """The session's queues before (a suspend or bury takes the card out of them)."""


Action = Answered | Marked
"""What ``undo`` takes back, newest first."""


@dataclass
class Summary:
    """What a session did, for the end-of-session screen."""

    answers: int
    cards: int
    passed_first: int
    seconds: float
    missed: list[CardInfo]
    due_tomorrow: int
    left_today: int = 0
    """Cards still to study today in these decks, planned afresh (a suspend or bury
    frees a new card's place, so there can be more than the session showed)."""
    undoable: int = 0
    """Actions ``undo`` can still take back (answers, suspends, buries, flags)."""

    @property
    def accuracy(self) -> float | None:
        """Share of cards passed (q >= 3) at their first answer in this session."""
        return self.passed_first / self.cards if self.cards else None


@dataclass
class ReviewSession:
    """Serves today's cards for one learner, in SM-2 order, committing every answer."""

    quiz: Quiz
    deck_keys: list[str] | None = None
    queue: deque[int] = field(default_factory=deque)
    redrill: deque[int] = field(default_factory=deque)
    history: list[Answered] = field(default_factory=list)
    """This session's answers, in order."""
    actions: list[Action] = field(default_factory=list)
    """Everything ``undo`` can take back: answers and marks, in order."""
    total: int = 0
    _cache: dict[int, CardInfo] = field(default_factory=dict)

    @classmethod
    def start(cls, quiz: Quiz, deck_keys: list[str] | None = None) -> ReviewSession:
        session = cls(quiz, deck_keys)
        session.build_queue()
        return session

    def build_queue(self) -> None:
        """Fill the queue: due reviews (most overdue first), new cards, then today's re-drills."""
        with self.quiz.store.read() as conn:
            plan = plan_day(conn, self.quiz, self.deck_keys)
        self.queue = deque(item.card_id for item in plan.reviews + plan.fresh)
        self.redrill = deque(item.card_id for item in plan.redrill)
        self.total = len(self.queue) + len(self.redrill)

    # --- what is on screen ---------------------------------------------------------------

    def current_id(self) -> int | None:
        if self.queue:
            return self.queue[0]
        if self.redrill:
            return self.redrill[0]
        return None

    def current(self) -> StudyCard | None:
        """The card to show now, or None when the session is over."""
        card_id = self.current_id()
        if card_id is None:
            return None
        with self.quiz.store.read() as conn:
            info = self._info(conn, card_id)
            row = queries.get_state_row(conn, self.quiz.learner_id, card_id)
        state = queries.state_from_row(row)
        flagged = row is not None and row.flagged_at is not None
        info = shown_to(self.quiz, info)
        note = row.flag_note if flagged else None
        return StudyCard(info, state, sm2.is_repeat(state, self.quiz.today()), flagged, note)

    def _info(self, conn: object, card_id: int) -> CardInfo:
        if card_id not in self._cache:
            # Render the next few cards in one query: the common case is moving forward.
            ahead = [
                c for c in list(self.queue)[:20] + list(self.redrill)[:5] if c not in self._cache
            ]
            self._cache.update(load_cards(conn, [card_id, *ahead]))  # type: ignore[arg-type]
        return self._cache[card_id]

    @property
    def remaining(self) -> int:
        return len(self.queue)

    @property
    def to_redrill(self) -> int:
        return len(self.redrill)

    def previews(self, card: StudyCard) -> list[tuple[Grade, str]]:
        """What each grade would do to the card, like Anki's labels over its buttons."""
        today = self.quiz.today()
        out = []
        for grade in grades(self.quiz.settings.grade_scale):
            if card.repeat:
                label = "again today" if grade.quality < sm2.REDRILL_BELOW else "done"
            else:
                after = sm2.review(
                    card.state,
                    grade.quality,
                    today,
                    self.quiz.settings.leech,
                    self.quiz.settings.max_interval,
                )
                label = _days(after.interval)
                if grade.quality < sm2.REDRILL_BELOW:
                    label += " +today"
            out.append((grade, label))
        return out

    # --- answering ------------------------------------------------------------------------

    def answer(
        self, quality: int, duration_ms: int = 0, chosen_option: str | None = None
    ) -> Answered:
        """Grade the current card, commit, and move on.

        Args:
            chosen_option: On a multiple-choice card, the identity of the option the
                learner picked (``McqOption.id``), recorded in the review log.

        Raises:
            LookupError: If there is no card to answer.
            ValueError: If quality is not 0..5.
        """
        sm2.check_quality(quality)
        card_id = self.current_id()
        if card_id is None:
            raise LookupError("no card to answer")
        quiz = self.quiz
        now = quiz.now()
        today = quiz.today()
        with quiz.store.write() as conn:
            before = queries.get_state(conn, quiz.learner_id, card_id, for_update=True)
            after = sm2.review(
                before, quality, today, quiz.settings.leech, quiz.settings.max_interval
            )
            queries.save_state(conn, quiz.learner_id, card_id, after)
            repeat = sm2.is_repeat(before, today)
            log_id = queries.log_answer(
                conn,
                learner_id=quiz.learner_id,
                card_id=card_id,
                reviewed_at=now,
                study_day=today,
                quality=quality,
                scheduled=not repeat,
                duration_ms=max(0, int(duration_ms)),
                before=before,
                after=after,
                chosen_option=chosen_option,
            )
        done = Answered(log_id, card_id, quality, repeat, duration_ms, before, after)
        self.history.append(done)
        self.actions.append(done)
        self._pop(card_id)
        if after.redrill and not after.suspended:
            self.redrill.append(card_id)
        return done

    def _pop(self, card_id: int) -> None:
        if self.queue and self.queue[0] == card_id:
            self.queue.popleft()
        elif self.redrill and self.redrill[0] == card_id:
            self.redrill.popleft()

    def _drop(self, card_id: int) -> None:
        self.queue = deque(c for c in self.queue if c != card_id)
        self.redrill = deque(c for c in self.redrill if c != card_id)

    def undo(self) -> Action | None:
        """Take back this session's last action: an answer (state restored exactly, log
        entry removed) or a suspend, bury, flag or unflag (the card's marks restored, and
        a hidden card back where it was in the session)."""
        if not self.actions:
            return None
        last = self.actions[-1]
        if isinstance(last, Marked):
            with self.quiz.store.write() as conn:
                queries.put_marks(conn, self.quiz.learner_id, last.card_id, last.before)
            self.actions.pop()
            self.queue, self.redrill = deque(last.queue), deque(last.redrill)
            return last
        quiz = self.quiz
        with quiz.store.write() as conn:
            row = queries.last_log(conn, quiz.learner_id)
            if row is None or row.id != last.log_id:
                # Another session answered since; undoing ours would rewrite its history.
                return None
            queries.restore_state(conn, quiz.learner_id, last.card_id, queries.state_before(row))
            queries.delete_log(conn, last.log_id)
        self.actions.pop()
        self.history.pop()
        if last.after.redrill:
            # Remove the re-drill copy this answer queued (the last one added).
            items = list(self.redrill)
            for i in range(len(items) - 1, -1, -1):
                if items[i] == last.card_id:
                    del items[i]
                    break
            self.redrill = deque(items)
        if last.repeat:
            self.redrill.appendleft(last.card_id)
        else:
            self.queue.appendleft(last.card_id)
        return last

    def suspend(self) -> int | None:
        """Suspend the current card until the learner unsuspends it."""
        return self._mark("suspend", hide=True, suspended=True)

    def bury(self) -> int | None:
        """Hide the current card until tomorrow."""
        return self._mark("bury", hide=True, buried_until=self.quiz.tomorrow())

    def flag(self, reason: str | None = None) -> bool:
        """Flag the current card for the instructor, with the learner's reason (if any).

        Returns False when there is no card."""
        now = self.quiz.now()
        return self._mark("flag", flagged_at=now, flag_note=reason or None) is not None

    def clear_flag(self) -> bool:
        """Clear the learner's flag on the current card. Returns False when there is no card."""
        return self._mark("unflag", flagged_at=None, flag_note=None) is not None

    def toggle_flag(self, note: str | None = None) -> bool:
        """Flag the current card (with the learner's reason), or clear its flag.

        Returns the new state."""
        card = self.current()
        if card is None:
            return False
        if card.flagged:
            self.clear_flag()
            return False
        return self.flag(note)

    def _mark(self, action: str, hide: bool = False, **values: object) -> int | None:
        """Set marks on the current card (taking it out of the session if `hide`), undoably."""
        card_id = self.current_id()
        if card_id is None:
            return None
        with self.quiz.store.write() as conn:
            before = queries.get_marks(conn, self.quiz.learner_id, card_id)
            queries.set_flags(conn, self.quiz.learner_id, card_id, **values)
        self.actions.append(Marked(card_id, action, before, tuple(self.queue), tuple(self.redrill)))
        if hide:
            self._drop(card_id)
        return card_id

    # --- the end ------------------------------------------------------------------------

    def summary(self) -> Summary:
        first: dict[int, Answered] = {}
        for a in self.history:
            first.setdefault(a.card_id, a)
        missed_ids = [c for c, a in first.items() if a.quality < sm2.PASS_QUALITY]
        quiz = self.quiz
        with quiz.store.read() as conn:
            infos = load_cards(conn, missed_ids)
            due = queries.due_by(conn, quiz.learner_id, quiz.tomorrow())
            keys = {r.id: r.key for r in queries.deck_rows(conn)}
            left = plan_day(conn, quiz, self.deck_keys)
        tomorrow = sum(
            n for d, n in due.items() if self.deck_keys is None or keys.get(d) in self.deck_keys
        )
        return Summary(
            answers=len(self.history),
            cards=len(first),
            passed_first=sum(1 for a in first.values() if a.quality >= sm2.PASS_QUALITY),
            seconds=sum(a.duration_ms for a in self.history) / 1000,
            missed=[infos[c] for c in missed_ids if c in infos],
            due_tomorrow=tomorrow,
            left_today=len(left.reviews) + len(left.fresh) + len(left.redrill),
            undoable=len(self.actions),
        )


@dataclass(frozen=True, slots=True)
class DayPlan:
    """What is left to study today, after limits and sibling burial."""

    decks: list[queries.DeckRow]
    """The decks planned, in the order the home screen lists them."""
    reviews: list[queries.QueueItem]
    fresh: list[queries.QueueItem]
    redrill: list[queries.QueueItem]
    due_until: dict[int, int] = field(default_factory=dict)
    """Per deck: cards due by the day ``plan_day`` was asked to count to, suspended ones
    left out, before limits (empty unless asked)."""

    def counts(self) -> dict[int, tuple[int, int, int]]:
        """(new, due, re-drill) per deck id; decks with nothing to study are left out."""
        new = Counter(i.deck_id for i in self.fresh)
        due = Counter(i.deck_id for i in self.reviews)
        redrill = Counter(i.deck_id for i in self.redrill)
        return {d: (new[d], due[d], redrill[d]) for d in new.keys() | due.keys() | redrill.keys()}


def plan_day(
    conn: Connection,
    quiz: Quiz,
    deck_keys: list[str] | None = None,
    *,
    count_due_until: date | None = None,
) -> DayPlan:
    """Today's cards for the chosen decks (all when None), in the order they are studied.

    Args:
        count_due_until: Also count each deck's cards due by this day (``DayPlan.due_until``),
            from the same read of the due cards as today's reviews.
    """
    today = quiz.today()
    chosen = [d for d in queries.deck_rows(conn) if deck_keys is None or d.key in deck_keys]
    done = queries.done_today(conn, quiz.learner_id, today)
    seen_notes = queries.notes_studied_today(conn, quiz.learner_id, today)
    reviews: list[queries.QueueItem] = []
    fresh: list[queries.QueueItem] = []
    # The due cards of every chosen deck come in one query (in each deck's own order),
    # then each deck takes its share; notes belong to one deck, so the decks' sibling
    # checks do not interact and the result is the same as a query per deck.
    due = _DueReviews(quiz, chosen, done, seen_notes)
    due.read(conn, today, count_due_until)
    for deck in chosen:
        limits = quiz.settings.limits_for(deck.key)
        day = done.get(deck.id, queries.DayDone())
        reviews += _take(due.found[deck.id], limits.reviews_per_day - day.reviews, seen_notes)
    # Most overdue first across decks too; the sort is stable, so the chosen decks' order
    # breaks ties.
    reviews.sort(key=lambda item: item.due or today)
    for deck in chosen:
        limits = quiz.settings.limits_for(deck.key)
        day = done.get(deck.id, queries.DayDone())
        fresh += _take(
            queries.new_cards(conn, quiz.learner_id, deck.id, today),
            limits.new_per_day - day.new,
            seen_notes,
        )
    drill = queries.redrill_cards(conn, quiz.learner_id, [d.id for d in chosen], today)
    return DayPlan(chosen, reviews, fresh, drill, dict(due.counted))


class _DueReviews:
    """Each deck's due reviews in its own order, read only as far as ``_take`` can use them.

    ``_take`` keeps the first ``limit`` distinct notes not studied today, so once a deck
    has shown that many, nothing later can be taken and a large backlog is not read on
    (unless the due cards are being counted too).
    """

    def __init__(
        self,
        quiz: Quiz,
        chosen: list[queries.DeckRow],
        done: dict[int, queries.DayDone],
        studied_today: set[int],
    ) -> None:
        self.learner_id = quiz.learner_id
        self.deck_ids = [deck.id for deck in chosen]
        self.studied_today = studied_today
        self.want: dict[int, int] = {}
        for deck in chosen:
            limit = quiz.settings.limits_for(deck.key).reviews_per_day
            self.want[deck.id] = limit - done.get(deck.id, queries.DayDone()).reviews
        self.found: dict[int, list[queries.QueueItem]] = {d: [] for d in self.deck_ids}
        self.counted: Counter[int] = Counter()

    def read(self, conn: Connection, today: date, count_until: date | None) -> None:
        eligible: dict[int, set[int]] = {d: set() for d in self.deck_ids}
        open_decks = {deck_id for deck_id, n in self.want.items() if n > 0}
        counting = count_until is not None
        if not open_decks and not counting:
            return
        decks = self.deck_ids if counting else sorted(open_decks)
        rows = queries.due_cards(conn, self.learner_id, decks, today, count_until or today)
        for item, ready in rows:
            if counting:
                self.counted[item.deck_id] += 1
            if not ready or item.deck_id not in open_decks:
                continue
            self.found[item.deck_id].append(item)
            if item.note_id not in self.studied_today:
                eligible[item.deck_id].add(item.note_id)
                if len(eligible[item.deck_id]) >= self.want[item.deck_id]:
                    open_decks.discard(item.deck_id)
                    if not open_decks and not counting:
                        break


def _take(
    items: Iterable[queries.QueueItem], limit: int, seen_notes: set[int]
) -> list[queries.QueueItem]:
    """Up to ``limit`` items, one card per note, skipping notes already studied today."""
    taken: list[queries.QueueItem] = []
    if limit <= 0:
        return taken
    for item in items:
        if item.note_id in seen_notes:
            continue
        seen_notes.add(item.note_id)
        taken.append(item)
        if len(taken) >= limit:
            break
    return taken


def _days(interval: int) -> str:
    if interval < 31:
        return f"{interval}d"
    if interval < 365:
        return f"{interval / 30:.1f}mo".replace(".0mo", "mo")
    return f"{interval / 365:.1f}y".replace(".0y", "y")


def unsuspend(quiz: Quiz, card_ids: list[int]) -> int:
    """Unsuspend cards (leeches included); returns how many were suspended."""
    with quiz.store.write() as conn:
        result = conn.execute(
            update(card_states)
            .where(
                card_states.c.learner_id == quiz.learner_id,
                card_states.c.card_id.in_(card_ids),
                card_states.c.suspended.is_(True),
            )
            .values(suspended=False)
        )
    return int(result.rowcount)


def deck_keys(quiz: Quiz) -> list[str]:
    with quiz.store.read() as conn:
        return [r[0] for r in conn.execute(select(decks.c.key).order_by(decks.c.title))]


@dataclass(frozen=True, slots=True)
class SuspendedCard:
    card_id: int
    ref: str
    leech: bool


def suspended_cards(quiz: Quiz) -> list[SuspendedCard]:
    """This learner's suspended cards, as deck:note:ord references."""

    query = (
        select(card_states.c.card_id, decks.c.key, notes.c.key, cards.c.ord, card_states.c.leech)
        .select_from(
            card_states.join(cards, cards.c.id == card_states.c.card_id)
            .join(notes, notes.c.id == cards.c.note_id)
            .join(decks, decks.c.id == notes.c.deck_id)
        )
        .where(card_states.c.learner_id == quiz.learner_id, card_states.c.suspended.is_(True))
        .order_by(decks.c.key, notes.c.position, cards.c.ord)
    )
    with quiz.store.read() as conn:
        return [
            SuspendedCard(r[0], f"{r[1]}:{r[2]}:{r[3]}", bool(r[4])) for r in conn.execute(query)
        ]
