"""Fact coverage of a deck: facts that no card teaches, and notes not tied to a fact or a source.

A deck built from a facts file should teach every fact, and every note should
say which fact it teaches and where that fact comes from; otherwise a card can
drift from its evidence unnoticed. This module only compares ids, so it works
for any loaded deck and any list of fact ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from quiz.domain.notes import Deck


@dataclass(frozen=True, slots=True)
class UnlinkedNote:
    """A note that cannot be traced to its evidence, and why."""

    note_id: str
    reason: str

    def __str__(self) -> str:
        return f"{self.note_id}: {self.reason}"


@dataclass(frozen=True, slots=True)
class CoverageReport:
    """The two lists a complete deck leaves empty."""

    facts_without_cards: tuple[str, ...]
    unlinked_notes: tuple[UnlinkedNote, ...]

    @property
    def complete(self) -> bool:
        return not self.facts_without_cards and not self.unlinked_notes


def coverage(fact_ids: Iterable[str], deck: Deck) -> CoverageReport:
    """Compare a deck's notes with the facts they should teach.

    A fact counts as taught when at least one note that yields a card lists it.
    A note is unlinked when it lists no fact, cites a fact that is not in
    ``fact_ids``, has no source, or cites a source the deck does not declare.
    Both lists keep the order of their input, so the report is deterministic.
    """
    facts = list(dict.fromkeys(fact_ids))
    known = set(facts)
    sources = {s.id for s in deck.sources}
    taught: set[str] = set()
    unlinked: list[UnlinkedNote] = []
    for note in deck.notes:
        if note.card_ords():
            taught.update(note.facts)
        if not note.facts:
            unlinked.append(UnlinkedNote(note.id, "lists no fact"))
        for fact_id in note.facts:
            if fact_id not in known:
                unlinked.append(UnlinkedNote(note.id, f"cites unknown fact {fact_id!r}"))
        if note.source is None:
            unlinked.append(UnlinkedNote(note.id, "has no source"))
        elif note.source.source not in sources:
            reason = f"cites undeclared source {note.source.source!r}"
            unlinked.append(UnlinkedNote(note.id, reason))
    return CoverageReport(
        facts_without_cards=tuple(f for f in facts if f not in taught),
        unlinked_notes=tuple(unlinked),
    )
