"""Notes (the facts an instructor writes) and the cards each one generates.

A note is content; a card is the schedulable unit. Cards are identified by
their note and an ordinal: 0 for a basic or multiple-choice card, 0 and 1 for
the forward and reverse cards of a reversed note, and the cloze number for
each card of a cloze note.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from quiz.domain import cloze
from quiz.domain.mcq import option_identity, reorder

LETTERS = "abcdefghij"
"""Option letters for multiple-choice cards; also the most options a question may have."""


class NoteType(StrEnum):
    BASIC = "basic"
    REVERSED = "reversed"
    CLOZE = "cloze"
    MCQ = "mcq"


@dataclass(frozen=True, slots=True)
class Source:
    """A document a deck was built from."""

    id: str
    title: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where in a source a note's fact comes from."""

    source: str
    section: str | None = None


@dataclass(frozen=True, slots=True)
class McqOption:
    text: str
    correct: bool
    explanation: str
    id: str = ""
    """The option's identity (quiz.domain.mcq.option_identity), recorded when it is chosen."""


@dataclass(frozen=True, slots=True)
class CardFace:
    """What a learner sees of one card: the prompt, then the answer."""

    note_id: str
    ord: int
    type: NoteType
    prompt: str
    answer: str
    context: str | None = None
    """Text shown with the answer beyond the answer itself (a cloze's full sentence)."""

    extra: str | None = None
    options: tuple[McqOption, ...] = ()
    source: SourceRef | None = None
    shuffle: bool = True
    """Whether the options may be shown in another order than the deck's (``shuffle: false``
    keeps "all of the above" last)."""

    def in_order(self, order: list[int]) -> CardFace:
        """This face with its options in ``order`` (indexes into the deck's order); a face
        whose note opts out of shuffling, or whose order does not fit, is returned as is."""
        if not self.shuffle or sorted(order) != list(range(len(self.options))):
            return self
        return replace(self, options=reorder(self.options, order))

    def option_for(self, letter: str) -> McqOption | None:
        """The option shown under ``letter``, or None."""
        index = LETTERS.find(letter)
        return self.options[index] if 0 <= index < len(self.options) and letter else None

    @property
    def correct_letter(self) -> str | None:
        for letter, option in zip(LETTERS, self.options, strict=False):
            if option.correct:
                return letter
        return None


@dataclass(frozen=True, slots=True)
class Note:
    """One fact to learn, with the content its type needs in ``fields``.

    ``fields`` holds ``front``/``back`` (basic, reversed), ``text`` (cloze) or
    ``stem``/``question``/``options`` (mcq), exactly as stored in the database.
    """

    id: str
    type: NoteType
    fields: Mapping[str, Any]
    tags: tuple[str, ...] = ()
    source: SourceRef | None = None
    extra: str | None = None
    facts: tuple[str, ...] = ()
    reset: str | None = None
    """An instructor's reset token: changing it restarts every learner on this note."""

    moved_from: str | Mapping[str, str] | None = None
    """Where this note's cards take their progress from (`from:`): see quiz.domain.moves."""

    line: int | None = field(default=None, compare=False)
    """Line of the note in its deck file, for messages."""

    def card_ords(self) -> list[int]:
        """The ordinals of the cards this note generates."""
        if self.type is NoteType.REVERSED:
            return [0, 1]
        if self.type is NoteType.CLOZE:
            return cloze.numbers(self.fields["text"])
        return [0]

    def options(self) -> tuple[McqOption, ...]:
        return tuple(
            McqOption(
                o["text"],
                bool(o.get("correct", False)),
                o.get("explanation", ""),
                option_identity(o),
            )
            for o in self.fields.get("options", ())
        )

    def render(self, ord_: int) -> CardFace:
        """The face of one of this note's cards.

        Raises:
            ValueError: If the note generates no card with that ordinal.
        """
        if ord_ not in self.card_ords():
            raise ValueError(f"note {self.id!r} has no card {ord_}")
        base = CardFace(self.id, ord_, self.type, "", "", extra=self.extra, source=self.source)
        f = self.fields
        if self.type is NoteType.CLOZE:
            return replace(
                base,
                prompt=cloze.render_prompt(f["text"], ord_),
                answer="; ".join(cloze.answers(f["text"], ord_)),
                context=cloze.render_full(f["text"]),
            )
        if self.type is NoteType.MCQ:
            question = f.get("question")
            prompt = f["stem"] if not question else f"{f['stem']}\n\n{question}"
            options = self.options()
            best = next((o.text for o in options if o.correct), "")
            shuffle = f.get("shuffle", True) is not False
            return replace(base, prompt=prompt, answer=best, options=options, shuffle=shuffle)
        if ord_ == 1:
            return replace(base, prompt=f["back"], answer=f["front"])
        return replace(base, prompt=f["front"], answer=f["back"])

    def cards(self) -> list[CardFace]:
        return [self.render(o) for o in self.card_ords()]


@dataclass(frozen=True, slots=True)
class Deck:
    """A validated deck: metadata and its notes in authoring order."""

    id: str
    title: str
    notes: tuple[Note, ...]
    description: str = ""
    version: str = "1"
    sources: tuple[Source, ...] = ()
    tags: tuple[str, ...] = ()
    """The deck's declared tag vocabulary; empty when it declares none."""

    def source(self, source_id: str) -> Source | None:
        return next((s for s in self.sources if s.id == source_id), None)

    def card_count(self) -> int:
        return sum(len(n.card_ords()) for n in self.notes)
