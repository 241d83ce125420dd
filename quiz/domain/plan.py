"""Import plans: what importing a deck does to every card and its learners' progress.

A pure function of two values: a snapshot of what the deck holds now (read from the
database, or from the previous deck file by `quiz diff`) and the validated new deck.
`quiz import`, `import --dry-run` and `quiz diff` all print this plan, and the store
applies exactly it, so what quiz says is what it does.

A card keeps its progress when its note id and card (cloze number, forward/reverse)
stay; the plan compares each such card's question and answer before and after so that
it never calls progress "kept" on a card that now asks something else. The plan's
values live in quiz.domain.plan_model, `from:` resolution in quiz.domain.plan_moves
and the warnings in quiz.domain.plan_advice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from quiz.domain.moves import CardKey, canonical
from quiz.domain.notes import Deck, Note, NoteType
from quiz.domain.plan_advice import with_warnings
from quiz.domain.plan_model import (
    CardPlan,
    Face,
    ImportPlan,
    NoteChange,
    NotePlan,
    OldNote,
    Outcome,
    Problem,
    Snapshot,
    content_hash,
    face,
    seen,
)
from quiz.domain.plan_moves import card_ref, declared_moves

__all__ = [
    "CardPlan",
    "Face",
    "ImportPlan",
    "LiveCard",
    "NoteChange",
    "NotePlan",
    "OldNote",
    "Outcome",
    "Problem",
    "Snapshot",
    "content_hash",
    "face",
    "plan_import",
    "snapshot_of",
    "unchanged_plan",
]


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
    moves = declared_moves(snapshot, deck, errors)
    sources = {src: card_ref(target, snapshot, deck) for target, src in moves.items()}
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
    return with_warnings(plan, deck, snapshot)


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
        source_name=card_ref(src, snapshot),
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
    old_note = old.note if o in old.note.card_ords() else None
    if before is None or not _same_answer(old_note, before, after, now):
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


def _same_answer(old_note: Note | None, before: Face, after: Note, now: Face) -> bool:
    """Whether a card still has the same answer.

    Multiple choice compares the key by its identity (its `id`, else its text up to case
    and spacing), so reordering options or recasing the key is no answer change; other
    cards compare the answer text up to case and spacing.
    """
    if old_note is not None and old_note.type is NoteType.MCQ and after.type is NoteType.MCQ:
        return _key_id(old_note) == _key_id(after)
    return _loose(before[1]) == _loose(now[1])


def _key_id(note: Note) -> str | None:
    return next((o.id for o in note.options() if o.correct), None)


def _loose(text: str) -> str:
    return " ".join(text.split()).casefold()


_FIELD_WORDS = {"fields": "text", "source": "source", "extra": "explanation", "facts": "facts"}


def _edits(before: Note, after: Note) -> tuple[str, ...]:
    old, new = seen(before), seen(after)
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
