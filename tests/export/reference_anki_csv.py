"""The Anki exporter as it was before its fast path: the reference it must match.

A verbatim copy of ``quiz/export/anki_csv.py`` before rows were built once per
distinct tag, deck and citation and written without the csv module; the tests
in ``test_anki_csv_fast_path.py`` check that the exporter writes exactly what
this module writes. It normalizes every value per note, the plain way.
"""

from __future__ import annotations

import csv
import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TextIO
from urllib.parse import quote, urlsplit

from quiz.domain.notes import LETTERS, Deck, McqOption, Note, NoteType

Separator = Literal["tab", "comma"]

SEPARATORS: Mapping[str, str] = {"tab": "\t", "comma": ","}

NOTETYPES: Mapping[NoteType, str] = {
    NoteType.BASIC: "Basic",
    NoteType.REVERSED: "Basic (and reversed card)",
    NoteType.CLOZE: "Cloze",
    NoteType.MCQ: "Basic",
}
"""The stock Anki notetype each note type becomes (English names, as in a new collection)."""

GUID_PREFIX = "quiz:"

# Anki drops ASCII control characters from fields except tab and newline.
_FIELD_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
# Anki trims spaces and colons from each level of a deck name.
_DECK_LEVEL_EDGES = re.compile(r"^[\s:]+|[\s:]+$")
# Anki reads a deck column value that parses as a 64-bit integer as a deck id.
_INTEGER = re.compile(r"[+-]?[0-9]+")
# What Anki counts as an empty field when it decides which cards a note gets.
_BLANK_FIELD = re.compile(r"(?:[\t\n\v\f\r ]|</?(?:br|div) ?/?>)*", re.IGNORECASE)
_LINK_SCHEMES = frozenset({"http", "https"})


@dataclass(frozen=True, slots=True)
class AnkiRow:
    """One note as a row of the file, in the form Anki will store it."""

    guid: str
    notetype: str
    deck: str
    tags: tuple[str, ...]
    fields: tuple[str, str]
    note_type: NoteType
    cards: int
    """How many cards Anki creates for the note."""

    def cells(self) -> list[str]:
        """The row's columns: GUID, notetype, deck, tags, then the two fields."""
        return [self.guid, self.notetype, self.deck, " ".join(self.tags), *self.fields]


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What an export wrote."""

    notes: int
    cards: int
    """Cards Anki creates from the file in a collection that has none of its notes
    (exact for the clozes our loader accepts; Anki reads malformed ones its own way)."""

    by_type: Mapping[NoteType, int]
    """Notes written of each of our note types (every type present, zeros included)."""

    decks: tuple[str, ...]
    """The Anki deck names, in file order."""


def write_anki_csv(
    decks: Sequence[Deck],
    out: TextIO,
    *,
    separator: Separator = "tab",
    tags: Sequence[str] = (),
) -> ExportSummary:
    """Write decks as one Anki text file.

    Rows never contain a line break, so ``out`` may be opened in any newline
    mode; open it with UTF-8 encoding.

    Args:
        decks: The decks to export; a deck's notes keep their authoring order.
        out: Where to write the file.
        separator: Separate columns with tabs or commas.
        tags: Only export notes with one of these tags or a tag below one of
            them (``a::b`` selects ``a::b`` and ``a::b::c``, not ``a::bc``),
            compared without regard to case as Anki does. Empty: every note.

    Raises:
        ValueError: If two notes would get the same GUID (the same deck id
            twice, or a note id twice in a deck), or a note's first field would
            be empty (Anki skips such notes).
    """
    if separator not in SEPARATORS:
        raise ValueError(f"separator must be 'tab' or 'comma', not {separator!r}")
    rows = anki_rows(decks, tags=tags)
    out.write(header(separator))
    writer = csv.writer(
        out, delimiter=SEPARATORS[separator], quoting=csv.QUOTE_ALL, lineterminator="\n"
    )
    writer.writerows(row.cells() for row in rows)
    counts = Counter(row.note_type for row in rows)
    return ExportSummary(
        notes=len(rows),
        cards=sum(row.cards for row in rows),
        by_type={t: counts.get(t, 0) for t in NoteType},
        decks=tuple(dict.fromkeys(row.deck for row in rows)),
    )


def header(separator: Separator) -> str:
    """The header lines of an export file.

    ``#separator`` comes first: Anki reads each later header line with the
    separator known so far, and without one it guesses, splitting a comma
    file on the colons of every cloze. With a notetype column Anki drops the
    tags unless a tags column is named. ``#if matches`` overrides the
    duplicate handling last chosen in the student's Anki, which is sticky and
    may be "keep current" or "keep both"; both would ignore the edits.
    """
    return (
        f"#separator:{separator}\n"
        "#html:true\n"
        "#guid column:1\n"
        "#notetype column:2\n"
        "#deck column:3\n"
        "#tags column:4\n"
        "#if matches:update current\n"
    )


def anki_rows(decks: Sequence[Deck], *, tags: Sequence[str] = ()) -> list[AnkiRow]:
    """The rows for decks, sorted by deck so that parent decks come first.

    Raises:
        ValueError: As ``write_anki_csv``.
    """
    if isinstance(tags, str):
        tags = (tags,)  # one tag, not a sequence of one-letter tags
    deck_names = _CaseUnifier()
    tag_names = _CaseUnifier()
    guids: set[str] = set()
    rows: list[AnkiRow] = []
    for deck in decks:
        for note in deck.notes:
            if tags and not tag_selected(note.tags, tags):
                continue
            guid = anki_guid(deck.id, note.id)
            if guid in guids:
                raise ValueError(
                    f"note {note.id!r} of deck {deck.id!r} appears twice in the export; "
                    "deck ids and the note ids within a deck must be unique"
                )
            guids.add(guid)
            fields = _fields(deck, note)
            if not fields[0]:
                raise ValueError(
                    f"note {note.id!r} of deck {deck.id!r} has an empty "
                    f"{'text' if note.type is NoteType.CLOZE else 'front'}; "
                    "Anki would skip it"
                )
            rows.append(
                AnkiRow(
                    guid=guid,
                    notetype=NOTETYPES[note.type],
                    deck=deck_names.unify(anki_deck_name(deck.title)),
                    tags=tuple(dict.fromkeys(tag_names.unify(anki_tag(t)) for t in note.tags)),
                    fields=fields,
                    note_type=note.type,
                    cards=_card_count(note, fields),
                )
            )
    # Anki's importer only knows the decks it created by name: a parent deck
    # made implicitly for a subdeck is created again, as "Parent+", by a later
    # row. Sorting (stably) by the folded path puts every parent first.
    rows.sort(key=lambda row: _fold(row.deck))
    return rows


def anki_guid(deck_id: str, note_id: str) -> str:
    """The Anki GUID of a note: stable across exports, unique across decks.

    Valid ids appear unchanged (``quiz:tiny:capital``); anything else in an
    id is percent-encoded, so the GUID is unambiguous, has no spaces and
    never starts with ``#``.
    """
    return f"{GUID_PREFIX}{_encode_id(deck_id)}:{_encode_id(note_id)}"


def anki_deck_name(title: str) -> str:
    """The Anki deck for a deck title, spelled exactly as Anki will store it.

    ``::`` separates levels. Like Anki, each level is NFC-normalized, loses
    control characters and surrounding spaces and colons, and is "blank" when
    empty.
    A name Anki would read as a deck id (``2024``) gets a "Deck " prefix.
    """
    text = _CONTROLS.sub("", re.sub(r"[\t\n\v\f\r]", " ", _valid(title)))
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
    text = "".join("_" if c.isspace() else c for c in _valid(tag))
    text = unicodedata.normalize("NFC", _CONTROLS.sub("", text))
    return "::".join(part or "blank" for part in text.split("::"))


def html_text(text: str) -> str:
    """Plain text as the HTML of an Anki field, exactly as Anki will store it.

    ``<``, ``>`` and ``&`` are escaped, line breaks become ``<br>``, control
    characters other than tab are dropped, and the text is NFC-normalized.
    """
    text = _valid(text).replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", _FIELD_CONTROLS.sub("", text))
    return "<br>".join(_guard_start(html.escape(line, quote=False)) for line in text.split("\n"))


def tag_selected(note_tags: Iterable[str], wanted: Iterable[str]) -> bool:
    """Whether a note with ``note_tags`` passes the tag filter ``wanted``."""
    folded = [_fold(anki_tag(t)) for t in note_tags]
    return any(_below(t, _fold(anki_tag(w))) for t in folded for w in wanted)


def _fields(deck: Deck, note: Note) -> tuple[str, str]:
    f = note.fields
    after = [_optional(note.extra), _source_html(deck, note)]
    if note.type is NoteType.CLOZE:
        return html_text(f["text"]), _paragraphs(after)
    if note.type is NoteType.MCQ:
        options = note.options()
        front = [html_text(f["stem"]), _optional(f.get("question")), _mcq_options(options)]
        return _paragraphs(front), _paragraphs([_mcq_answer(options), *after])
    # On a reversed note's reverse card the back is the question, so the
    # explanation and source show with it: the stock notetype has no other field.
    return html_text(f["front"]), _paragraphs([html_text(f["back"]), *after])


def _mcq_options(options: Sequence[McqOption]) -> str:
    return "<br>".join(f"{_letter(i)}. {html_text(o.text)}" for i, o in enumerate(options))


def _mcq_answer(options: Sequence[McqOption]) -> str:
    answers = "<br>".join(
        f"Answer: {_letter(i)}. {html_text(o.text)}" for i, o in enumerate(options) if o.correct
    )
    explanations = "<br>".join(
        f"{_letter(i)}. {html_text(o.explanation)}"
        for i, o in enumerate(options)
        if o.explanation.strip()
    )
    return _paragraphs([answers, explanations])


def _source_html(deck: Deck, note: Note) -> str:
    ref = note.source
    if ref is None:
        return ""
    source = deck.source(ref.source)
    cited = html_text(source.title if source else ref.source)
    url = source.url if source else None
    if url and url.strip():
        # Only web links: Anki shows fields in a web view, where a javascript:
        # or file: link from a shared deck would be a hazard.
        if urlsplit(url.strip()).scheme.lower() in _LINK_SCHEMES:
            href = html.escape(_CONTROLS.sub("", _valid(url.strip())), quote=True)
            cited = f'<a href="{href}">{cited}</a>'
        else:
            cited = f"{cited} ({html_text(url.strip())})"
    if ref.section and ref.section.strip():
        cited = f"{cited}, {html_text(ref.section)}"
    return f"Source: {cited}"


def _optional(text: str | None) -> str:
    return html_text(text) if text and text.strip() else ""


def _paragraphs(parts: Iterable[str]) -> str:
    return "<br><br>".join(part for part in parts if part)


def _letter(index: int) -> str:
    return LETTERS[index] if index < len(LETTERS) else str(index + 1)


def _card_count(note: Note, fields: tuple[str, str]) -> int:
    if note.type is NoteType.CLOZE:
        # Anki gives a cloze note without a valid deletion one (empty) card.
        return max(1, len(note.card_ords()))
    if note.type is NoteType.REVERSED:
        # Anki makes the cards whose question field is not blank, and the
        # first card when both are blank.
        return max(1, sum(1 for f in fields if not _BLANK_FIELD.fullmatch(f)))
    return 1


def _guard_start(line: str) -> str:
    # A line may start with a combining mark (after a line break, or a text
    # that starts with one). Behind our "<br>" or "<a ...>", U+0338 would
    # combine with ">" when Anki normalizes to NFC, so write it as a reference.
    if line and unicodedata.combining(line[0]):
        return f"&#x{ord(line[0]):x};{line[1:]}"
    return line


def _valid(text: str) -> str:
    """Text with lone surrogates, which cannot be written as UTF-8, replaced."""
    return _SURROGATES.sub("\ufffd", text)


def _encode_id(value: str) -> str:
    return quote(value, safe="", errors="surrogatepass")


def _fold(name: str) -> tuple[str, ...]:
    return tuple(part.casefold() for part in name.split("::"))


def _below(tag: tuple[str, ...], wanted: tuple[str, ...]) -> bool:
    return tag[: len(wanted)] == wanted


class _CaseUnifier:
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
            self._spelling.setdefault(_fold("::".join(parts[: i + 1])), part)
            for i, part in enumerate(parts)
        )
