"""Resolve `from:` declarations against a snapshot: which earlier card each card moves from."""

from __future__ import annotations

from quiz.domain.moves import (
    CardKey,
    MovedFrom,
    canonical,
    card_name,
    card_ord,
    parse_canonical,
    split_ref,
)
from quiz.domain.notes import Deck, Note
from quiz.domain.plan_model import OldNote, Problem, Snapshot


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


def declared_moves(snapshot: Snapshot, deck: Deck, errors: list[Problem]) -> dict[CardKey, CardKey]:
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
                        f"from: {card_ref(src, snapshot)} is already moved to "
                        f"{card_ref(taken[src], snapshot, deck)}; a card's progress can move once",
                    )
                )
                continue
            taken[src] = target
            moves[target] = src
    return moves


def card_ref(key: CardKey, snapshot: Snapshot, deck: Deck | None = None) -> str:
    kind = None
    if deck is not None:
        kind = next((n.type for n in deck.notes if n.id == key[0]), None)
    if kind is None and key[0] in snapshot.notes:
        kind = snapshot.notes[key[0]].note.type
    return f"{key[0]}:{card_name(key[1], kind)}"
