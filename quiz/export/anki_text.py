"""Text, deck names, tags and GUIDs spelled exactly as Anki stores them.

Anki normalizes what it imports (NFC, no control characters, no spaces in tags,
deck names compared without case, ...). Writing the file in that form means what
Anki stores is what the file says; `anki_csv` builds the rows from these.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import quote

GUID_PREFIX = "quiz:"


# Anki drops ASCII control characters from fields except tab and newline.
_FIELD_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


_SURROGATES = re.compile(r"[\ud800-\udfff]")


# Anki trims spaces and colons from each level of a deck name.
_DECK_LEVEL_EDGES = re.compile(r"^[\s:]+|[\s:]+$")


# Anki reads a deck column value that parses as a 64-bit integer as a deck id.
_INTEGER = re.compile(r"[+-]?[0-9]+")


# The characters quote() never encodes.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


def anki_guid(deck_id: str, note_id: str) -> str:
    """The Anki GUID of a note: stable across exports, unique across decks.

    Valid ids appear unchanged (``quiz:tiny:capital``); anything else in an
    id is percent-encoded, so the GUID is unambiguous, has no spaces and
    never starts with ``#``.
    """
    return f"{GUID_PREFIX}{encode_id(deck_id)}:{encode_id(note_id)}"


def anki_deck_name(title: str) -> str:
    """The Anki deck for a deck title, spelled exactly as Anki will store it.

    ``::`` separates levels. Like Anki, each level is NFC-normalized, loses
    control characters and surrounding spaces and colons, and is "blank" when
    empty.
    A name Anki would read as a deck id (``2024``) gets a "Deck " prefix.
    """
    text = CONTROLS.sub("", re.sub(r"[\t\n\v\f\r]", " ", valid_text(title)))
    name = "::".join(
        _DECK_LEVEL_EDGES.sub("", part) or "blank"
        for part in unicodedata.normalize("NFC", text).split("::")
    )
    return f"Deck {name}" if _INTEGER.fullmatch(name) else name


def anki_tag(tag: str) -> str:
    """A tag as Anki will store it: spaces become ``_``; ``::`` levels are kept.

    Like Anki, levels are NFC-normalized, lose control characters, and are
    "blank" when empty.
    """
    text = "".join("_" if c.isspace() else c for c in valid_text(tag))
    text = unicodedata.normalize("NFC", CONTROLS.sub("", text))
    return "::".join(part or "blank" for part in text.split("::"))


def html_text(text: str) -> str:
    """Plain text as the HTML of an Anki field, exactly as Anki will store it.

    ``<``, ``>`` and ``&`` are escaped, line breaks become ``<br>``, control
    characters other than tab are dropped, and the text is NFC-normalized.
    """
    if text.isascii():
        # Most text. ASCII is already NFC and has no surrogate and no combining
        # mark to guard; printable ASCII (no tab, line break or control) needs
        # at most the escapes, and most of it not even those.
        if text.isprintable():
            return _escape(text) if "&" in text or "<" in text or ">" in text else text
        if not _FIELD_CONTROLS.search(text):
            return _escape(text).replace("\n", "<br>")
    text = valid_text(text).replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", _FIELD_CONTROLS.sub("", text))
    return "<br>".join(_guard_start(html.escape(line, quote=False)) for line in text.split("\n"))


def _escape(text: str) -> str:
    """``html.escape(text, quote=False)``, without the call through the html module."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def tag_selected(note_tags: Iterable[str], wanted: Iterable[str]) -> bool:
    """Whether a note with ``note_tags`` passes the tag filter ``wanted``."""
    folded = [fold(anki_tag(t)) for t in note_tags]
    return any(_below(t, fold(anki_tag(w))) for t in folded for w in wanted)


def _guard_start(line: str) -> str:
    # A line may start with a combining mark (after a line break, or a text
    # that starts with one). Behind our "<br>" or "<a ...>", U+0338 would
    # combine with ">" when Anki normalizes to NFC, so write it as a reference.
    if line and unicodedata.combining(line[0]):
        return f"&#x{ord(line[0]):x};{line[1:]}"
    return line


def valid_text(text: str) -> str:
    """Text with lone surrogates, which cannot be written as UTF-8, replaced."""
    return _SURROGATES.sub("\ufffd", text)


def encode_id(value: str) -> str:
    if _UNRESERVED.fullmatch(value):
        return value  # what quote() would return, without its cost
    return quote(value, safe="", errors="surrogatepass")


def fold(name: str) -> tuple[str, ...]:
    return tuple(part.casefold() for part in name.split("::"))


def _below(tag: tuple[str, ...], wanted: tuple[str, ...]) -> bool:
    return tag[: len(wanted)] == wanted


class CaseUnifier:
    """Spells ``::`` names that differ only in case alike, level by level.

    Anki compares deck names and tags without case: a new deck or tag takes
    the spelling of the one it matches, parent levels included ("renal::Stones"
    after "Renal" becomes "Renal::Stones"). Spelling them alike in the file
    makes Anki store what the file says.
    """

    def __init__(self) -> None:
        self._spelling: dict[tuple[str, ...], str] = {}

    def unify(self, name: str) -> str:
        parts = name.split("::")
        return "::".join(
            self._spelling.setdefault(fold("::".join(parts[: i + 1])), part)
            for i, part in enumerate(parts)
        )
