"""Look up what a card shows: its note rendered for one ordinal, with its deck."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from quiz.domain.mcq import shown_order
from quiz.domain.notes import CardFace, Source
from quiz.store.queries import note_from_row
from quiz.store.tables import cards, decks, notes

if TYPE_CHECKING:
    from quiz.services.context import Quiz


@dataclass(frozen=True, slots=True)
class CardInfo:
    """A card as a learner meets it: its face plus where it comes from."""

    card_id: int
    note_key: str
    deck_key: str
    deck_title: str
    face: CardFace
    source: Source | None
    tags: tuple[str, ...]

    @property
    def ref(self) -> str:
        """A stable, human-usable id for the card: deck:note:ord."""
        return f"{self.deck_key}:{self.note_key}:{self.face.ord}"


def load_cards(conn: Connection, card_ids: list[int]) -> dict[int, CardInfo]:
    """Render several cards with one query."""
    if not card_ids:
        return {}
    query = (
        select(
            cards.c.id.label("card_id"),
            cards.c.ord,
            notes,
            decks.c.key.label("deck_key"),
            decks.c.title.label("deck_title"),
            decks.c.sources.label("deck_sources"),
        )
        .select_from(
            cards.join(notes, notes.c.id == cards.c.note_id).join(
                decks, decks.c.id == notes.c.deck_id
            )
        )
        .where(cards.c.id.in_(card_ids))
    )
    found: dict[int, CardInfo] = {}
    for row in conn.execute(query):
        note = note_from_row(row)
        source = None
        if note.source is not None:
            for s in row.deck_sources:
                if s.get("id") == note.source.source:
                    source = Source(s["id"], s.get("title", s["id"]), s.get("url"))
        found[row.card_id] = CardInfo(
            row.card_id,
            row.key,
            row.deck_key,
            row.deck_title,
            note.render(row.ord),
            source,
            note.tags,
        )
    return found


def as_shown(info: CardInfo, *, seed: str, learner: str, day: date) -> CardInfo:
    """The card with its options in the order this learner sees them on this study day."""
    face = info.face
    if len(face.options) < 2 or not face.shuffle:
        return info
    order = shown_order(len(face.options), seed=seed, learner=learner, card=info.ref, day=day)
    return replace(info, face=face.in_order(order))


def shown_to(quiz: Quiz, info: CardInfo) -> CardInfo:
    """The card as ``quiz``'s learner sees it today (see as_shown)."""
    return as_shown(info, seed=quiz.shuffle_seed, learner=quiz.learner, day=quiz.today())


def card_info(quiz: Quiz, card_id: int) -> CardInfo | None:
    """One card as the learner sees it today, in its own read transaction (None if gone)."""
    with quiz.store.read() as conn:
        info = load_card(conn, card_id)
    return None if info is None else shown_to(quiz, info)


def load_card(conn: Connection, card_id: int) -> CardInfo | None:
    return load_cards(conn, [card_id]).get(card_id)


def find_card(conn: Connection, ref: str) -> int | None:
    """The card id for a deck:note:ord reference (ord defaults to the first card)."""
    parts = ref.split(":")
    if len(parts) not in (2, 3):
        return None
    deck_key, note_key = parts[0], parts[1]
    query = (
        select(cards.c.id)
        .join(notes, notes.c.id == cards.c.note_id)
        .join(decks, decks.c.id == notes.c.deck_id)
        .where(decks.c.key == deck_key, notes.c.key == note_key)
        .order_by(cards.c.ord)
    )
    if len(parts) == 3:
        if not parts[2].isdigit():
            return None
        query = query.where(cards.c.ord == int(parts[2]))
    return select_first(conn, query)


def resolve_card(conn: Connection, ref: str) -> tuple[int | None, list[str]]:
    """A card reference as a learner may write it: the card id, or close references.

    ``DECK:NOTE[:CARD]`` exactly as quiz prints it; a NOTE that names exactly one note
    of the deck up to a ``.`` suffix (``fact`` for ``fact.qa``) is taken too. When no
    card matches, the second value holds up to three references that look alike.
    """
    card_id = find_card(conn, ref)
    if card_id is not None:
        return card_id, []
    parts = ref.split(":")
    if len(parts) not in (2, 3):
        return None, []
    deck_key, note_key = parts[0], parts[1]
    keys = list(
        conn.execute(
            select(notes.c.key)
            .join(decks, decks.c.id == notes.c.deck_id)
            .where(decks.c.key == deck_key)
        ).scalars()
    )
    extended = [k for k in keys if k.startswith(note_key + ".")]
    if len(extended) == 1:
        card_id = find_card(conn, ":".join([deck_key, extended[0], *parts[2:]]))
        if card_id is not None:
            return card_id, []
    import difflib

    close = extended or difflib.get_close_matches(note_key, keys, n=3)
    return None, [":".join([deck_key, k, *parts[2:]]) for k in close[:3]]


def select_first(conn: Connection, query: object) -> int | None:
    value = conn.execute(query).scalar()  # type: ignore[call-overload]
    return None if value is None else int(value)
