"""Card names and `from:` declarations: which earlier card a card takes its progress from.

Authors name a card the way the plan prints it: `c3` (a cloze number), `forward` and
`reverse` (a reversed note), or `card` (a note's only card). A source is written
`NOTE:CARD`, `NOTE` (that note's only card, or the card with the same name), or just
`CARD` for another card of the same note.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from quiz.domain.notes import NoteType

CardKey = tuple[str, int]
"""A card's identity: its note id and ordinal."""

MovedFrom = str | Mapping[str, str]
"""A note's `from:` as written: one earlier note, or card name -> source card."""

_CLOZE = re.compile(r"^c([1-9][0-9]{0,3})$")


def card_name(ord_: int, kind: NoteType | None) -> str:
    """How authors know a card: cloze number, forward/reverse, or just "card"."""
    if kind is NoteType.CLOZE and ord_ >= 1:
        return f"c{ord_}"
    if kind is NoteType.REVERSED and ord_ in (0, 1):
        return ("forward", "reverse")[ord_]
    return "card" if ord_ == 0 else f"card {ord_}"


def card_ord(name: str, kind: NoteType) -> int | None:
    """The ordinal a card name stands for in a note of ``kind`` (None: no such name)."""
    match = _CLOZE.match(name)
    if kind is NoteType.CLOZE:
        return int(match.group(1)) if match else None
    if kind is NoteType.REVERSED:
        return {"forward": 0, "reverse": 1}.get(name)
    return 0 if name == "card" else None


def is_card_name(text: str) -> bool:
    return bool(_CLOZE.match(text)) or text in {"card", "forward", "reverse"}


def split_ref(ref: str, note_id: str) -> tuple[str, str | None]:
    """A source written by an author as (note id, card name or None for "the matching card")."""
    if ":" in ref:
        note, card = ref.rsplit(":", 1)
        return note, card
    if is_card_name(ref):
        return note_id, ref
    return ref, None


def canonical(moved_from: MovedFrom | None) -> str | None:
    """The text stored for a declaration, to tell a new one from the one already applied."""
    if moved_from is None:
        return None
    if isinstance(moved_from, str):
        return json.dumps(moved_from)
    return json.dumps(dict(moved_from), sort_keys=True, ensure_ascii=False)


def parse_canonical(text: str | None) -> MovedFrom | None:
    if text is None:
        return None
    value = json.loads(text)
    if isinstance(value, str):
        return value
    return {str(k): str(v) for k, v in value.items()}


def shape_problems(moved_from: MovedFrom, kind: NoteType, ords: list[int]) -> list[str]:
    """What is wrong with a declaration on its own (the earlier cards are checked by the plan)."""
    if isinstance(moved_from, str):
        return [] if moved_from.strip() else ["must name a note or a card"]
    problems = []
    for target, ref in moved_from.items():
        ord_ = card_ord(target, kind)
        if ord_ is None or ord_ not in ords:
            names = ", ".join(card_name(o, kind) for o in ords)
            problems.append(f"{target!r} is not a card of this note (its cards: {names})")
        if not ref.strip() or ref.endswith(":") or ref.startswith(":"):
            problems.append(f"{target}: {ref!r} names no card; write NOTE-ID:CARD, e.g. other:c2")
    return problems
