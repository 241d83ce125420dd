"""Anki text export: decks as one tab- or comma-separated file for Anki 2.1.54+ to import.

The file starts with Anki's header lines, so Anki's import dialog needs no
changes: the separator, HTML fields, which columns hold the GUID, notetype,
deck and tags, and ``#if matches:update current``. Each note's GUID is derived
from its deck id and note id, so importing an edited deck again updates the
notes it created earlier and keeps their scheduling.

Note types become Anki's stock notetypes, all with two fields:

========  ==========================  ==========================================
ours      Anki notetype               fields
========  ==========================  ==========================================
basic     Basic                       Front; Back + explanation + source
reversed  Basic (and reversed card)   Front; Back + explanation + source
cloze     Cloze                       Text; Back Extra = explanation + source
mcq       Basic                       stem, question and lettered options;
                                      answer, each option's explanation,
                                      explanation + source
========  ==========================  ==========================================

Each deck becomes the Anki deck named by its title ("Nephrology::Calciphylaxis"
nests under "Nephrology"); tags keep their ``::`` hierarchy.

Text, deck names and tags are normalized exactly as Anki stores them (NFC,
without control characters, no spaces in tags, and so on), so that what Anki
stores is what the file says, and so that the importer's pitfalls cannot be
reached: every field is quoted, no field holds a line break (text line breaks
become ``<br>``), no row starts with ``#``, and rows are sorted by deck so a
parent deck's rows come before its subdecks' rows.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal, TextIO
from urllib.parse import urlsplit

from quiz.domain.notes import LETTERS, Deck, McqOption, Note, NoteType, SourceRef
from quiz.export.anki_text import (
    CONTROLS,
    GUID_PREFIX,
    CaseUnifier,
    anki_deck_name,
    anki_tag,
    encode_id,
    fold,
    html_text,
    tag_selected,
    valid_text,
)

Separator = Literal["tab", "comma"]

SEPARATORS: Mapping[str, str] = {"tab": "\t", "comma": ","}

NOTETYPES: Mapping[NoteType, str] = {
    NoteType.BASIC: "Basic",
    NoteType.REVERSED: "Basic (and reversed card)",
    NoteType.CLOZE: "Cloze",
    NoteType.MCQ: "Basic",
}
"""The stock Anki notetype each note type becomes (English names, as in a new collection)."""


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
    blocks = _RowBuilder(tags).blocks(decks)
    out.write(header(separator))
    _write_rows(out, blocks, SEPARATORS[separator])
    counts = Counter(row[_TYPE] for block in blocks for row in block.rows)
    return ExportSummary(
        notes=sum(len(block.rows) for block in blocks),
        cards=sum(row[_CARDS] for block in blocks for row in block.rows),
        by_type={t: counts.get(t, 0) for t in NoteType},
        decks=tuple(dict.fromkeys(block.deck for block in blocks)),
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
    return [
        AnkiRow(guid, notetype, block.deck, tags_, (front, back), note_type, cards)
        for block in _RowBuilder(tags).blocks(decks)
        for guid, notetype, tags_, _, front, back, note_type, cards in block.rows
    ]


def _basic(note: Note, source: str) -> tuple[str, str, int]:
    """Front, back and card count of a basic note (and, but for its count, a reversed one)."""
    f = note.fields
    # On a reversed note's reverse card the back is the question, so the
    # explanation and source show with it: the stock notetype has no other field.
    back = _paragraphs([html_text(f["back"]), _optional(note.extra), source])
    return html_text(f["front"]), back, 1


def _reversed(note: Note, source: str) -> tuple[str, str, int]:
    front, back, _ = _basic(note, source)
    # Anki makes the cards whose question field is not blank, and the first
    # card when both are blank.
    blank = bool(_BLANK_FIELD.fullmatch(front)) + bool(_BLANK_FIELD.fullmatch(back))
    return front, back, max(1, 2 - blank)


def _cloze(note: Note, source: str) -> tuple[str, str, int]:
    back = _paragraphs([_optional(note.extra), source])
    # Anki gives a cloze note without a valid deletion one (empty) card.
    return html_text(note.fields["text"]), back, max(1, len(note.card_ords()))


def _mcq(note: Note, source: str) -> tuple[str, str, int]:
    f = note.fields
    options = note.options()
    front = [html_text(f["stem"]), _optional(f.get("question")), _mcq_options(options)]
    back = [_mcq_answer(options), _optional(note.extra), source]
    return _paragraphs(front), _paragraphs(back), 1


_CONTENT: Mapping[NoteType, Callable[[Note, str], tuple[str, str, int]]] = {
    NoteType.BASIC: _basic,
    NoteType.REVERSED: _reversed,
    NoteType.CLOZE: _cloze,
    NoteType.MCQ: _mcq,
}
"""Each note type's front, back and the number of cards Anki makes of them, given
the note's "Source: ..." line."""


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


def _source_html(deck: Deck, ref: SourceRef) -> str:
    source = deck.source(ref.source)
    cited = html_text(source.title if source else ref.source)
    url = source.url if source else None
    if url and url.strip():
        # Only web links: Anki shows fields in a web view, where a javascript:
        # or file: link from a shared deck would be a hazard.
        if urlsplit(url.strip()).scheme.lower() in _LINK_SCHEMES:
            href = html.escape(CONTROLS.sub("", valid_text(url.strip())), quote=True)
            cited = f'<a href="{href}">{cited}</a>'
        else:
            cited = f"{cited} ({html_text(url.strip())})"
    if ref.section and ref.section.strip():
        cited = f"{cited}, {html_text(ref.section)}"
    return f"Source: {cited}"


def _optional(text: str | None) -> str:
    return html_text(text) if text and not text.isspace() else ""


def _paragraphs(parts: Iterable[str]) -> str:
    return "<br><br>".join([part for part in parts if part])


def _letter(index: int) -> str:
    return LETTERS[index] if index < len(LETTERS) else str(index + 1)


_Row = tuple[str, str, tuple[str, ...], str, str, str, NoteType, int]
"""One note's row: GUID, notetype, tags, the tags cell as quoted for the file, the
two fields, our note type and the card count. A plain tuple: an export makes one
per note, and a dataclass costs several times as much to build."""
_TYPE: Final = 6
_CARDS: Final = 7


@dataclass(slots=True)
class _Block:
    """The rows of one deck of the export, in its notes' order."""

    deck: str
    rows: list[_Row]


class _RowBuilder:
    """Turns decks into rows, working out what notes share once per distinct value.

    Tags, deck names and source citations repeat across thousands of notes;
    normalizing them once each, in the order first met, gives the same text as
    normalizing them per note, since ``CaseUnifier`` returns a name's first
    spelling on every later call.
    """

    def __init__(self, wanted: Sequence[str]) -> None:
        # One tag, not a sequence of one-letter tags.
        self._wanted: Sequence[str] = (wanted,) if isinstance(wanted, str) else wanted
        self._deck_names = CaseUnifier()
        self._tag_names = CaseUnifier()
        self._tag_spelling: dict[str, str] = {}
        self._tags: dict[tuple[str, ...], tuple[tuple[str, ...], str]] = {}
        self._selected: dict[tuple[str, ...], bool] = {}
        self._guids: set[str] = set()

    def blocks(self, decks: Sequence[Deck]) -> list[_Block]:
        """The decks' rows, sorted by deck so that parent decks come first.

        Raises:
            ValueError: As ``write_anki_csv``.
        """
        blocks = [block for block in map(self._block, decks) if block.rows]
        # Anki's importer only knows the decks it created by name: a parent deck
        # made implicitly for a subdeck is created again, as "Parent+", by a later
        # row. Sorting (stably) by the folded path puts every parent first.
        blocks.sort(key=lambda block: fold(block.deck))
        return blocks

    def _block(self, deck: Deck) -> _Block:
        notes: Iterable[Note] = deck.notes
        if self._wanted:
            notes = [note for note in notes if self._is_selected(tuple(note.tags))]
        prefix = f"{GUID_PREFIX}{encode_id(deck.id)}:"
        sources = _SourceCitations(deck)
        rows = [self._row(deck, note, prefix + encode_id(note.id), sources) for note in notes]
        name = self._deck_names.unify(anki_deck_name(deck.title)) if rows else ""
        return _Block(name, rows)

    def _row(self, deck: Deck, note: Note, guid: str, sources: _SourceCitations) -> _Row:
        if guid in self._guids:
            raise ValueError(
                f"note {note.id!r} of deck {deck.id!r} appears twice in the export; "
                "deck ids and the note ids within a deck must be unique"
            )
        self._guids.add(guid)
        front, back, cards = _CONTENT[note.type](note, sources.cite(note.source))
        if not front:
            raise ValueError(
                f"note {note.id!r} of deck {deck.id!r} has an empty "
                f"{'text' if note.type is NoteType.CLOZE else 'front'}; "
                "Anki would skip it"
            )
        key = tuple(note.tags)
        tags, cell = self._tags.get(key) or self._tag_cell(key)
        return (guid, NOTETYPES[note.type], tags, cell, front, back, note.type, cards)

    def _tag_cell(self, note_tags: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
        tags = tuple(dict.fromkeys([self._tag(t) for t in note_tags]))
        found = self._tags[note_tags] = (tags, _quoted(" ".join(tags)))
        return found

    def _tag(self, tag: str) -> str:
        found = self._tag_spelling.get(tag)
        if found is None:
            found = self._tag_spelling[tag] = self._tag_names.unify(anki_tag(tag))
        return found

    def _is_selected(self, note_tags: tuple[str, ...]) -> bool:
        found = self._selected.get(note_tags)
        if found is None:
            found = self._selected[note_tags] = tag_selected(note_tags, self._wanted)
        return found


class _SourceCitations:
    """A deck's "Source: ..." lines, each made once: many notes cite the same section."""

    def __init__(self, deck: Deck) -> None:
        self._deck = deck
        self._made: dict[tuple[str, str | None], str] = {}

    def cite(self, ref: SourceRef | None) -> str:
        if ref is None:
            return ""
        key = (ref.source, ref.section)
        found = self._made.get(key)
        if found is None:
            found = self._made[key] = _source_html(self._deck, ref)
        return found


def _write_rows(out: TextIO, blocks: Sequence[_Block], separator: str) -> None:
    """Write rows as the csv module would with every field quoted, a deck at a time.

    With every field quoted, the csv module only doubles quotes; doing that here
    (and once per deck name and tag set) takes a fraction of its time.
    """
    between = f'"{separator}"'
    for block in blocks:
        deck = _quoted(block.deck)
        out.write(
            "".join(
                [
                    f'"{guid}{between}{notetype}{between}{deck}{between}{tags}{between}'
                    f'{_quoted(front)}{between}{_quoted(back)}"\n'
                    for guid, notetype, _, tags, front, back, _, _ in block.rows
                ]
            )
        )


def _quoted(cell: str) -> str:
    return cell.replace('"', '""')
