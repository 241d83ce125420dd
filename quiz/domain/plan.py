"""Import plans: what importing a deck does to every card and its learners' progress.

A pure function of two values: a snapshot of what the deck holds now (read from the
database, or from the previous deck file by `quiz diff`) and the validated new deck.
`quiz import`, `import --dry-run` and `quiz diff` all print this plan, and the store
applies exactly it, so what quiz says is what it does.

A card keeps its progress when its note id and card (cloze number, forward/reverse)
stay; the plan compares each such card's question and answer before and after so that
it never calls progress "kept" on a card that now asks something else.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from quiz.domain.moves import (
    CardKey,
    MovedFrom,
    canonical,
    card_name,
    card_ord,
    parse_canonical,
    split_ref,
)
from quiz.domain.notes import Deck, Note, NoteType

Face = tuple[str, str]
"""A card's content fingerprint: the SHA-256 of its question, and its answer."""


def face(note: Note, ord_: int) -> Face:
    shown = note.render(ord_)
    return hashlib.sha256(shown.prompt.encode()).hexdigest(), shown.answer


class NoteChange(StrEnum):
    ADDED = "added"
    EDITED = "edited"
    RESET = "reset"
    MOVED = "moved"
    """Content unchanged, but progress moves onto or off its cards."""
    UNCHANGED = "unchanged"
    RETIRED = "retired"
    RESTORED = "restored"


class Outcome(StrEnum):
    UNCHANGED = "unchanged"
    EDITED = "edited, same answer"
    ANSWER_CHANGED = "answer changed"
    MOVED = "moved"
    NEW = "new"
    RETIRED = "retired"
    RESET = "progress reset"


@dataclass(frozen=True, slots=True)
class OldNote:
    """A note as the deck holds it before the import."""

    note: Note
    content_hash: str
    position: int
    retired: bool = False
    cards: Mapping[int, bool] = field(default_factory=dict)
    """Every card the note has had: ordinal -> retired."""
    learners: Mapping[int, int] = field(default_factory=dict)
    """Learners with progress on each card, by ordinal."""
    moved_from: str | None = None
    """The `from:` declaration last applied (see moves.canonical)."""
    faces: Mapping[int, Face] = field(default_factory=dict)
    """What each retired card asked when it was retired: its note may no longer say."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a deck holds now; empty for a deck never imported."""

    deck_key: str
    notes: Mapping[str, OldNote] = field(default_factory=dict)
    exists: bool = True
    counted: bool = True
    """The learner counts are real (from a database), so a zero means nobody has progress."""


# Plans are not frozen: a 10,000-note deck makes 20,000 card plans, and a frozen
# dataclass sets each field through object.__setattr__, which doubles their cost.
# Nothing changes a plan after plan_import returns it.
@dataclass(slots=True)
class CardPlan:
    """What the import does to one card."""

    note: str
    ord: int
    kind: NoteType
    """The type of the note the card belongs to (after the import, or before if retired)."""
    outcome: Outcome
    learners: int = 0
    """Learners whose progress this outcome touches."""
    restored: bool = False
    """The card comes back into review (its note or card was retired)."""
    old_answer: str | None = None
    new_answer: str | None = None
    source: CardKey | None = None
    """Moved: the card whose progress and history it takes."""
    source_name: str | None = None
    """Moved: that card as authors write it (`note:c2`)."""
    moved_to: str | None = None
    """Retired or reset: the card its progress and history go to, as authors write it."""
    replaces: int = 0
    """Moved onto a card that had progress of its own: the learners whose state it replaces."""
    enters: bool = False
    """The card enters review: it was not a live card before."""

    @property
    def key(self) -> CardKey:
        return (self.note, self.ord)

    @property
    def name(self) -> str:
        return card_name(self.ord, self.kind)


@dataclass(slots=True)
class NotePlan:
    key: str
    change: NoteChange
    cards: tuple[CardPlan, ...]
    edits: tuple[str, ...] = ()
    """What changed in the note: "text", "tags", "type basic -> cloze", "`reset`", ..."""
    old_type: NoteType | None = None
    new_type: NoteType | None = None
    line: int | None = None
    digest: str = ""
    """The content hash of the note as the file has it (empty for a retired note)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """A warning (the import goes ahead) or an error (nothing is imported) about one note."""

    note: str
    line: int | None
    message: str


@dataclass(frozen=True, slots=True)
class ImportPlan:
    deck_key: str
    title: str
    created: bool
    notes: tuple[NotePlan, ...]
    warnings: tuple[Problem, ...] = ()
    errors: tuple[Problem, ...] = ()

    def count(self, change: NoteChange) -> int:
        return sum(1 for n in self.notes if n.change is change)

    def cards(self) -> list[CardPlan]:
        return [c for n in self.notes for c in n.cards]

    def card_count(self, outcome: Outcome) -> int:
        return sum(1 for c in self.cards() if c.outcome is outcome)

    @property
    def cards_added(self) -> int:
        """Cards that enter review: new, restored, or moved onto a card that was not live."""
        return sum(1 for c in self.cards() if c.enters)

    @property
    def cards_retired(self) -> int:
        return self.card_count(Outcome.RETIRED)

    @property
    def changed(self) -> list[NotePlan]:
        return [n for n in self.notes if n.change is not NoteChange.UNCHANGED]


def content_hash(note: Note) -> str:
    """A hash of everything a learner sees of a note, to tell edits from unchanged notes."""
    return hashlib.sha256(_HASH_JSON.encode(_seen(note)).encode()).hexdigest()


def _seen(note: Note) -> dict[str, object]:
    return {
        "type": str(note.type),
        "fields": note.fields,
        "tags": list(note.tags),
        "source": [note.source.source, note.source.section] if note.source else None,
        "extra": note.extra,
        "facts": list(note.facts),
    }


_HASH_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False)
"""`json.dumps(..., sort_keys=True, ensure_ascii=False)` without building an encoder per
call: the same text, so hashes stored by earlier versions still match."""


def snapshot_of(deck: Deck, learners: Mapping[CardKey, int] | None = None) -> Snapshot:
    """The snapshot a deck file stands for, as if it had been imported (for `quiz diff`)."""
    counts = learners or {}
    return Snapshot(
        deck.id,
        {
            n.id: OldNote(
                n,
                content_hash(n),
                i,
                cards=dict.fromkeys(n.card_ords(), False),
                learners={o: counts.get((n.id, o), 0) for o in n.card_ords()},
                moved_from=canonical(n.moved_from),
            )
            for i, n in enumerate(deck.notes)
        },
        counted=learners is not None,
    )


LiveCard = tuple[str, NoteType, int, int]
"""A live card as the unchanged plan needs it: note id, note type, ordinal, learners."""


def unchanged_plan(deck_key: str, title: str, live: list[LiveCard]) -> ImportPlan:
    """The plan of re-importing, unchanged, the file the deck was last imported from.

    ``live`` lists the deck's live cards in deck order.
    """
    by_note: dict[str, list[CardPlan]] = {}
    kinds: dict[str, NoteType] = {}
    for key, kind, o, learners in live:
        by_note.setdefault(key, []).append(CardPlan(key, o, kind, Outcome.UNCHANGED, learners))
        kinds[key] = kind
    notes = tuple(
        NotePlan(key, NoteChange.UNCHANGED, tuple(cards), (), kinds[key], kinds[key])
        for key, cards in by_note.items()
    )
    return ImportPlan(deck_key, title, False, notes)


def plan_import(
    snapshot: Snapshot, deck: Deck, hashes: Mapping[str, str] | None = None
) -> ImportPlan:
    """What importing ``deck`` over ``snapshot`` does to every card, old and new.

    ``hashes`` are the notes' content hashes, when the caller has them already.
    """
    if hashes is None:
        hashes = {n.id: content_hash(n) for n in deck.notes}
    errors: list[Problem] = []
    moves = _declared_moves(snapshot, deck, errors)
    sources = {src: _ref(target, snapshot, deck) for target, src in moves.items()}
    notes: list[NotePlan] = []
    for note in deck.notes:
        old = snapshot.notes.get(note.id)
        notes.append(_plan_note(note, hashes[note.id], old, snapshot, moves, sources))
    in_file = {n.id for n in deck.notes}
    for key, old in snapshot.notes.items():
        if key in in_file or old.retired:
            continue
        kind = old.note.type
        cards = tuple(
            CardPlan(
                key,
                o,
                kind,
                Outcome.RETIRED,
                0 if (key, o) in sources else old.learners.get(o, 0),
                moved_to=sources.get((key, o)),
            )
            for o, retired in sorted(old.cards.items())
            if not retired
        )
        notes.append(NotePlan(key, NoteChange.RETIRED, cards, (), kind, None, old.note.line))
    plan = ImportPlan(deck.id, deck.title, not snapshot.exists, tuple(notes), (), tuple(errors))
    return _with_warnings(plan, deck, snapshot)


def _plan_note(
    note: Note,
    digest: str,
    old: OldNote | None,
    snapshot: Snapshot,
    moves: dict[CardKey, CardKey],
    sources: dict[CardKey, str],
) -> NotePlan:
    kind = note.type
    ords = note.card_ords()
    if old is None:
        cards = tuple(_new_card(note, o, snapshot, moves, {}, enters=True) for o in ords)
        return NotePlan(note.id, NoteChange.ADDED, cards, (), None, kind, note.line, digest)
    reset = note.reset is not None and old.note.reset != note.reset
    same = old.content_hash == digest
    out: list[CardPlan] = []
    for o in ords:
        key = (note.id, o)
        had = o in old.cards
        restored = had and (old.retired or old.cards[o])
        learners = old.learners.get(o, 0) if had else 0
        if key in moves:
            out.append(_new_card(note, o, snapshot, moves, sources, restored))
        elif key in sources:
            out.append(
                CardPlan(note.id, o, kind, Outcome.RESET, learners, restored, moved_to=sources[key])
            )
        elif not had:
            out.append(CardPlan(note.id, o, kind, Outcome.NEW, enters=True))
        elif reset:
            out.append(CardPlan(note.id, o, kind, Outcome.RESET, learners, restored))
        else:
            out.append(_compared(old, note, o, same, learners, restored))
        if not had or restored:
            out[-1] = replace(out[-1], enters=True)
    for o, retired in sorted(old.cards.items()):
        if o not in ords and not retired and not old.retired:
            key = (note.id, o)
            moved = sources.get(key)
            learners = 0 if moved else old.learners.get(o, 0)
            out.append(
                CardPlan(note.id, o, old.note.type, Outcome.RETIRED, learners, moved_to=moved)
            )
    edits = _edits(old.note, note) if not same else ()
    if reset:
        edits = (*edits, "`reset` changed")
    if canonical(note.moved_from) != old.moved_from and note.moved_from is not None:
        edits = (*edits, "`from` declared")
    if old.retired:
        change = NoteChange.RESTORED
    elif reset:
        change = NoteChange.RESET
    elif not same:
        change = NoteChange.EDITED
    elif any(c.outcome is not Outcome.UNCHANGED for c in out):
        change = NoteChange.MOVED
    else:
        change = NoteChange.UNCHANGED
    return NotePlan(note.id, change, tuple(out), edits, old.note.type, kind, note.line, digest)


def _new_card(
    note: Note,
    o: int,
    snapshot: Snapshot,
    moves: dict[CardKey, CardKey],
    sources: dict[CardKey, str],
    restored: bool = False,
    *,
    enters: bool = False,
) -> CardPlan:
    key = (note.id, o)
    src = moves.get(key)
    if src is None:
        return CardPlan(note.id, o, note.type, Outcome.NEW, enters=True)
    source_note = snapshot.notes[src[0]]
    old = snapshot.notes.get(note.id)
    # The card's own earlier progress is replaced, unless it moves on to another card.
    own = old.learners.get(o, 0) if old is not None and key not in sources else 0
    return CardPlan(
        note.id,
        o,
        note.type,
        Outcome.MOVED,
        source_note.learners.get(src[1], 0),
        restored,
        source=src,
        source_name=_ref(src, snapshot),
        replaces=own,
        enters=enters,
    )


def _compared(
    old: OldNote, after: Note, o: int, same: bool, learners: int, restored: bool
) -> CardPlan:
    kind = after.type
    if same:
        return CardPlan(after.id, o, kind, Outcome.UNCHANGED, learners, restored)
    if o in old.note.card_ords():
        before: Face | None = face(old.note, o)
    else:  # a card retired while its note went on changing: what it asked when it left
        before = old.faces.get(o)
    now = face(after, o)
    if before is None or before[1] != now[1]:
        return CardPlan(
            after.id,
            o,
            kind,
            Outcome.ANSWER_CHANGED,
            learners,
            restored,
            old_answer=None if before is None else before[1],
            new_answer=now[1],
        )
    outcome = Outcome.UNCHANGED if before[0] == now[0] else Outcome.EDITED
    return CardPlan(after.id, o, kind, outcome, learners, restored)


_FIELD_WORDS = {"fields": "text", "source": "source", "extra": "explanation", "facts": "facts"}


def _edits(before: Note, after: Note) -> tuple[str, ...]:
    old, new = _seen(before), _seen(after)
    found = []
    if before.type is not after.type:
        found.append(f"type {before.type} -> {after.type}")
    elif old["fields"] != new["fields"]:
        found.append("text edited")
    if old["tags"] != new["tags"]:
        found.append("tags edited")
    for name in ("source", "extra", "facts"):
        if old[name] != new[name]:
            found.append(f"{_FIELD_WORDS[name]} edited")
    return tuple(found)


# --- `from:` ----------------------------------------------------------------------------------


def resolve_moves(
    note: Note, moved_from: MovedFrom, snapshot: Snapshot
) -> tuple[dict[CardKey, CardKey], list[str]]:
    """Each card of ``note`` that a declaration moves -> its source card, and what is wrong."""
    found: dict[CardKey, CardKey] = {}
    problems: list[str] = []
    ords = note.card_ords()
    if isinstance(moved_from, str):
        pairs = [(card_name(o, note.type), moved_from) for o in ords]
        whole = True
    else:
        pairs = list(moved_from.items())
        whole = False
    for target, ref in pairs:
        t_ord = card_ord(target, note.type)
        if t_ord is None or t_ord not in ords:
            problems.append(f"{target!r} is not a card of this note")
            continue
        src_note, src_card = split_ref(ref, note.id)
        old = snapshot.notes.get(src_note)
        if old is None:
            problems.append(
                f"{ref!r}: no note {src_note!r} in the previous version of deck "
                f"{snapshot.deck_key!r}"
            )
            continue
        if src_card is None:
            s_ord = _matching_card(old, target, len(ords) if whole else 1)
            if s_ord is None:
                if whole:
                    continue  # a note-wide `from:` moves the cards that match, no others
                problems.append(
                    f"{ref!r} has {len(old.cards)} cards; name one, e.g. {src_note}:"
                    f"{card_name(min(old.cards), old.note.type)}"
                )
                continue
        else:
            s_ord = card_ord(src_card, old.note.type)
            if s_ord is None or s_ord not in old.cards:
                names = ", ".join(card_name(o, old.note.type) for o in sorted(old.cards))
                problems.append(f"{ref!r}: note {src_note!r} had no card {src_card!r} ({names})")
                continue
        if (src_note, s_ord) == (note.id, t_ord):
            problems.append(f"{target} cannot come from itself")
            continue
        found[(note.id, t_ord)] = (src_note, s_ord)
    return found, problems


def _matching_card(old: OldNote, target: str, n_targets: int) -> int | None:
    """The card of a source note named without a card: its only card (when one card moves
    there), or the card of the same name."""
    if len(old.cards) == 1 and n_targets == 1:
        return next(iter(old.cards))
    named = card_ord(target, old.note.type)
    return named if named in old.cards else None


def _declared_moves(
    snapshot: Snapshot, deck: Deck, errors: list[Problem]
) -> dict[CardKey, CardKey]:
    """Target card -> source card for every `from:` entry not applied by an earlier import.

    Like `reset:`, a declaration acts once: when it is new or changed, not on every import.
    """
    moves: dict[CardKey, CardKey] = {}
    taken: dict[CardKey, CardKey] = {}
    for note in deck.notes:
        if note.moved_from is None:
            continue
        old = snapshot.notes.get(note.id)
        applied = old.moved_from if old is not None else None
        if applied == canonical(note.moved_from):
            continue
        wanted, problems = resolve_moves(note, note.moved_from, snapshot)
        done: dict[CardKey, CardKey] = {}
        previous = parse_canonical(applied)
        if previous is not None:
            done, _ = resolve_moves(note, previous, snapshot)
        for problem in problems:
            errors.append(Problem(note.id, note.line, f"from: {problem}"))
        for target, src in wanted.items():
            if done.get(target) == src:
                continue
            if src in taken:
                errors.append(
                    Problem(
                        note.id,
                        note.line,
                        f"from: {_ref(src, snapshot)} is already moved to "
                        f"{_ref(taken[src], snapshot, deck)}; a card's progress can move once",
                    )
                )
                continue
            taken[src] = target
            moves[target] = src
    return moves


def _ref(key: CardKey, snapshot: Snapshot, deck: Deck | None = None) -> str:
    kind = None
    if deck is not None:
        kind = next((n.type for n in deck.notes if n.id == key[0]), None)
    if kind is None and key[0] in snapshot.notes:
        kind = snapshot.notes[key[0]].note.type
    return f"{key[0]}:{card_name(key[1], kind)}"


# --- warnings and suggested moves ---------------------------------------------------------------


def _norm(answer: str) -> str:
    return " ".join(answer.casefold().split())


def _with_warnings(plan: ImportPlan, deck: Deck, snapshot: Snapshot) -> ImportPlan:
    """Warn, before anything happens, where progress would end up on other content or be left
    behind, and suggest the `from:` that carries it when the answer moved unambiguously."""
    # Cards whose progress stays behind on other content or on a retired card ...
    losing: dict[str, list[CardPlan]] = {}
    for c in plan.cards():
        if c.outcome is Outcome.ANSWER_CHANGED and c.old_answer is not None:
            losing.setdefault(_norm(c.old_answer), []).append(c)
        elif c.outcome is Outcome.RETIRED and c.moved_to is None:
            old = snapshot.notes[c.note]
            losing.setdefault(_norm(old.note.render(c.ord).answer), []).append(c)
    if not losing:
        return plan  # a first import, or only edits that keep every answer
    # ... and the cards that now ask for that answer without progress of their own.
    fresh: dict[str, list[CardPlan]] = {}
    notes_by_id = {n.id: n for n in deck.notes}
    for c in plan.cards():
        if c.outcome in (Outcome.NEW, Outcome.ANSWER_CHANGED) and c.moved_to is None:
            answer = notes_by_id[c.note].render(c.ord).answer
            fresh.setdefault(_norm(answer), []).append(c)
    suggestion: dict[CardKey, str] = {}
    per_note: dict[str, dict[str, str]] = {}
    for answer, olds in losing.items():
        news = fresh.get(answer, [])
        if len(olds) == 1 and len(news) == 1 and olds[0].key != news[0].key:
            src, dst = olds[0], news[0]
            if src.note == dst.note:
                ref = src.name
            else:
                ref = src.note if src.name == "card" else f"{src.note}:{src.name}"
            suggestion[src.key] = f"`from: {{{dst.name}: {ref}}}` to note {dst.note}"
            per_note.setdefault(dst.note, {})[dst.name] = ref
    warnings: list[Problem] = []
    for n in plan.notes:
        type_changed = None not in (n.old_type, n.new_type) and n.old_type != n.new_type
        for c in n.cards:
            if snapshot.counted and not c.learners:
                continue  # nobody's progress is at stake
            who = f"{c.learners} learner(s)' progress" if snapshot.counted else "progress"
            hint = suggestion.get(c.key)
            if c.outcome is Outcome.ANSWER_CHANGED:
                fix = (
                    f"add {hint} to move it"
                    if hint
                    else "`from:` on the card that now asks the old answer"
                )
                warnings.append(
                    Problem(
                        n.key,
                        n.line,
                        f"{n.key} {c.name}: answer changed from {_answer(c.old_answer)} to "
                        f"{c.new_answer!r}; {who} stays on a card that now asks something "
                        f"else. Fix: add `reset:` to the note to restart it, or {fix}",
                    )
                )
            elif c.outcome is Outcome.RETIRED and n.change is not NoteChange.RETIRED:
                why = f"type {n.old_type} -> {n.new_type}" if type_changed else "card removed"
                if hint is None and type_changed and n.new_type is not None:
                    hint = _type_change_hint(n, c)
                fix = (
                    f"Fix: add {hint} to carry it"
                    if hint
                    else "If its fact is now asked by another card, carry it with `from:` there"
                )
                warnings.append(
                    Problem(
                        n.key,
                        n.line,
                        f"{n.key} {c.name}: {why}; {who} stays on the retired card and does "
                        f"not follow. {fix}",
                    )
                )
            elif c.outcome is Outcome.RETIRED and hint:
                warnings.append(
                    Problem(
                        n.key,
                        n.line,
                        f"{n.key} {c.name}: retired, and its answer is now asked by another "
                        f"card; {who} does not follow. Fix: add {hint}",
                    )
                )
    for key, mapping in per_note.items():
        if len(mapping) > 1:  # one line an author can paste
            pairs = ", ".join(f"{t}: {r}" for t, r in sorted(mapping.items()))
            line = notes_by_id[key].line
            warnings.append(
                Problem(key, line, f"{key}: to carry all of it, add `from: {{{pairs}}}`")
            )
    return replace(plan, warnings=tuple(warnings))


def _answer(text: str | None) -> str:
    return "an answer quiz no longer knows" if text is None else repr(text)


def _type_change_hint(n: NotePlan, retired: CardPlan) -> str | None:
    new_cards = [c for c in n.cards if c.outcome is Outcome.NEW]
    if len(new_cards) == 1:
        return f"`from: {{{new_cards[0].name}: {retired.name}}}`"
    return None
