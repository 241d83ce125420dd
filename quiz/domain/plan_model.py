"""The values of an import plan: the snapshot it is computed from, and what it says.

See quiz.domain.plan for the planner. Everything here is plain data and two
fingerprints (a note's content hash, a card's face), with no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from quiz.domain.moves import CardKey, card_name
from quiz.domain.notes import Note, NoteType

Face = tuple[str, str]
"""A card's content fingerprint: the SHA-256 of its question, and its answer."""


def face(note: Note, ord_: int) -> Face:
    """The fingerprint of one card of a note: what it asks, and its answer."""
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
    return hashlib.sha256(_HASH_JSON.encode(seen(note)).encode()).hexdigest()


def seen(note: Note) -> dict[str, object]:
    """Everything a learner sees of a note: what its content hash covers."""
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
