"""Anki text export, checked by importing the files with Anki's own importer.

Each test imports into a new, temporary Anki collection (the ``anki`` package,
a test-only dependency) and asserts on what Anki created.
"""

from __future__ import annotations

import html
import io
import re
import tempfile
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from anki.collection import Collection, ImportCsvRequest
from anki.import_export_pb2 import CsvMetadata, ImportResponse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quiz.decks.loader import load_deck
from quiz.domain import cloze
from quiz.domain.notes import Deck, Note, NoteType, Source, SourceRef
from quiz.export.anki_csv import ExportSummary, Separator, anki_rows, write_anki_csv
from quiz.export.anki_text import anki_guid, html_text

if TYPE_CHECKING:
    # Only for annotations: importing anki.cards before anki.collection is circular.
    from anki.cards import CardId

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_deck(
    name: str, *, replace: tuple[str, str] | None = None, tmp: Path | None = None
) -> Deck:
    """A deck from fixtures/, optionally with one piece of its YAML text replaced."""
    path = FIXTURES / f"{name}.yaml"
    if replace is not None:
        assert tmp is not None
        text = path.read_text(encoding="utf-8")
        assert replace[0] in text
        path = tmp / f"{name}.yaml"
        path.write_text(text.replace(*replace), encoding="utf-8")
    return load_deck(path).deck


def fixture_decks() -> list[Deck]:
    # The subdeck first: the export must still write the parent deck's rows first.
    return [fixture_deck("calciphylaxis"), fixture_deck("nephrology")]


@contextmanager
def anki_collection(directory: Path) -> Iterator[Collection]:
    col = Collection(str(directory / "collection.anki2"))
    try:
        yield col
    finally:
        col.close()


def export(
    decks: Sequence[Deck], path: Path, separator: Separator = "tab", tags: Sequence[str] = ()
) -> ExportSummary:
    with path.open("w", encoding="utf-8", newline="") as out:
        return write_anki_csv(decks, out, separator=separator, tags=tags)


def import_file(col: Collection, path: Path) -> tuple[CsvMetadata, ImportResponse.Log]:
    """Import as Anki's dialog does with the defaults it reads from the file."""
    metadata = col.get_csv_metadata(str(path), None)
    log = col.import_csv(ImportCsvRequest(path=str(path), metadata=metadata)).log
    return metadata, log


@dataclass(frozen=True)
class Stored:
    """A note as Anki stored it."""

    notetype: str
    fields: list[str]
    tags: list[str]
    decks: set[str]
    card_ords: list[int]
    card_ids: list[CardId]


def stored_notes(col: Collection) -> dict[str, Stored]:
    found: dict[str, Stored] = {}
    for nid in col.find_notes(""):
        note = col.get_note(nid)
        cards = sorted(note.cards(), key=lambda c: c.ord)
        found[note.guid] = Stored(
            notetype=note.note_type()["name"],  # type: ignore[index]
            fields=list(note.fields),
            tags=sorted(note.tags),
            decks={col.decks.name(c.did) for c in cards},
            card_ords=[c.ord for c in cards],
            card_ids=[c.id for c in cards],
        )
    return found


def deck_names(col: Collection) -> set[str]:
    return {d.name for d in col.decks.all_names_and_ids()}


def assert_clean_log(
    log: ImportResponse.Log, *, new: int, updated: int = 0, unchanged: int = 0
) -> None:
    assert (len(log.new), len(log.updated), len(log.duplicate)) == (new, updated, unchanged)
    assert not log.conflicting and not log.first_field_match
    assert not log.missing_notetype and not log.missing_deck and not log.empty_first_field


# --- Importing the fixture decks ------------------------------------------------------


@pytest.mark.parametrize("separator", ["tab", "comma"])
def test_anki_creates_the_notes_cards_decks_and_tags_written(
    tmp_path: Path, separator: Separator
) -> None:
    path = tmp_path / "export.txt"
    summary = export(fixture_decks(), path, separator)

    assert summary.notes == 7
    assert summary.cards == 10
    assert summary.by_type == {
        NoteType.BASIC: 3,
        NoteType.REVERSED: 1,
        NoteType.CLOZE: 2,
        NoteType.MCQ: 1,
    }
    assert summary.decks == ("Nephrology", "Nephrology::Calciphylaxis")
    with anki_collection(tmp_path) as col:
        metadata, log = import_file(col, path)
        assert_clean_log(log, new=7)
        assert col.note_count() == 7
        assert col.card_count() == 10
        # No stray "Nephrology+" deck: the parent's rows came first.
        assert deck_names(col) == {"Default", "Nephrology", "Nephrology::Calciphylaxis"}
        notes = stored_notes(col)

    assert metadata.dupe_resolution == CsvMetadata.UPDATE
    g = "quiz:calciphylaxis:"
    assert set(notes) == {
        f"{g}mortality",
        f"{g}sts",
        f"{g}definition",
        f"{g}vignette",
        f"{g}pain",
        "quiz:nephrology:gfr",
        "quiz:nephrology:potassium",
    }
    link = (
        '<a href="https://example.org/calciphylaxis?lang=en&amp;v=2">'
        "Calciphylaxis: a review &amp; update</a>"
    )

    mortality = notes[f"{g}mortality"]
    assert mortality.notetype == "Basic"
    assert mortality.fields == [
        "#1 cause of death in calciphylaxis?",
        "Sepsis from infected wounds<br><br>One-year mortality is &gt; 50% &amp; higher with"
        " proximal lesions.<br>Treat infection early.<br><br>"
        f"Source: {link}, Outcomes, p. 3",
    ]
    assert mortality.tags == ["calciphylaxis::prognosis"]
    assert mortality.decks == {"Nephrology::Calciphylaxis"}
    assert mortality.card_ords == [0]

    sts = notes[f"{g}sts"]
    assert sts.notetype == "Basic (and reversed card)"
    assert sts.fields == ["STS", "Sodium thiosulfate<br><br>Source: Renal grand rounds"]
    assert sts.tags == ["calciphylaxis::treatment", "pharmacology"]
    assert sts.card_ords == [0, 1]

    definition = notes[f"{g}definition"]
    assert definition.notetype == "Cloze"
    assert definition.fields == [
        "{{c1::Calciphylaxis}} affects {{c2::dialysis}} patients;<br>biopsy shows"
        " {{c3::medial calcification::which layer?}} of arterioles.",
        "Also called calcific uremic arteriolopathy (CUA).",
    ]
    assert definition.card_ords == [0, 1, 2]

    vignette = notes[f"{g}vignette"]
    assert vignette.notetype == "Basic"
    assert vignette.fields == [
        "A 58-year-old woman on hemodialysis has painful, violaceous plaques\twith black"
        " eschar on both thighs.<br><br>Which drug is a risk factor?<br><br>"
        'a. Warfarin, "the usual suspect"<br>b. Apixaban<br>c. Cinacalcet',
        'Answer: a. Warfarin, "the usual suspect"<br><br>'
        "a. Vitamin K antagonism blocks matrix Gla protein.<br>"
        "b. Not linked to vascular calcification.<br>"
        "c. Used as treatment, not a cause.<br><br>"
        f"Source: {link}, Risk factors",
    ]
    assert vignette.card_ords == [0]

    pain = notes[f"{g}pain"]
    assert pain.fields == [
        "Pain in {{calciphylaxis}}: which {{c1 drug class}} first?",
        "Opioids &lt;b&gt;with&lt;/b&gt; care; avoid morphine if GFR &lt; 30",
    ]
    assert pain.tags == ["calciphylaxis::treatment::pain"]
    assert pain.card_ords == [0]

    assert notes["quiz:nephrology:potassium"].decks == {"Nephrology"}
    assert notes["quiz:nephrology:potassium"].card_ords == [0]
    assert notes["quiz:nephrology:gfr"].fields == [
        "Normal GFR in a young adult?",
        "About 120 mL/min/1.73 m²",
    ]


def test_reimporting_an_edited_deck_updates_notes_and_keeps_scheduling(tmp_path: Path) -> None:
    first, second = tmp_path / "v1.txt", tmp_path / "v2.txt"
    export(fixture_decks(), first)
    edited = fixture_deck(
        "calciphylaxis",
        tmp=tmp_path,
        replace=("back: Sodium thiosulfate", "back: Sodium thiosulfate IV"),
    )
    edited_cloze = fixture_deck(
        "calciphylaxis", tmp=tmp_path, replace=("of arterioles.", "of {{c4::arterioles}}.")
    )
    decks = [
        Deck(
            edited.id,
            edited.title,
            (*edited.notes[:2], edited_cloze.notes[2], *edited.notes[3:]),
            sources=edited.sources,
        ),
        fixture_deck("nephrology"),
    ]
    export(decks, second)

    with anki_collection(tmp_path) as col:
        assert_clean_log(import_file(col, first)[1], new=7)
        sts_cards = stored_notes(col)["quiz:calciphylaxis:sts"].card_ids
        col.sched.set_due_date(sts_cards, "30")  # the student has reviewed these cards
        due_before = [(col.get_card(c).ivl, col.get_card(c).due) for c in sts_cards]
        # A student who last chose "keep current" in Anki's import dialog: the
        # file's own header must still make Anki update.
        col.set_config("csvDuplicateResolution", CsvMetadata.PRESERVE)

        metadata, log = import_file(col, second)

        assert metadata.dupe_resolution == CsvMetadata.UPDATE
        assert_clean_log(log, new=0, updated=2, unchanged=5)
        assert col.note_count() == 7
        assert col.card_count() == 11  # the new c4 deletion adds a card
        notes = stored_notes(col)
        assert notes["quiz:calciphylaxis:sts"].fields[0] == "STS"
        assert notes["quiz:calciphylaxis:sts"].fields[1].startswith("Sodium thiosulfate IV<br>")
        assert notes["quiz:calciphylaxis:sts"].card_ids == sts_cards
        assert [(col.get_card(c).ivl, col.get_card(c).due) for c in sts_cards] == due_before
        assert due_before[0][0] > 0
        assert notes["quiz:calciphylaxis:definition"].card_ords == [0, 1, 2, 3]


def test_the_update_comes_from_the_header(tmp_path: Path) -> None:
    # The same file without "#if matches" would follow the student's last choice.
    path, bare = tmp_path / "export.txt", tmp_path / "bare.txt"
    export(fixture_decks(), path)
    text = path.read_text(encoding="utf-8")
    assert "#if matches:update current\n" in text
    bare.write_text(text.replace("#if matches:update current\n", ""), encoding="utf-8")
    with anki_collection(tmp_path) as col:
        col.set_config("csvDuplicateResolution", CsvMetadata.PRESERVE)
        assert col.get_csv_metadata(str(bare), None).dupe_resolution == CsvMetadata.PRESERVE
        assert col.get_csv_metadata(str(path), None).dupe_resolution == CsvMetadata.UPDATE


# --- The file format --------------------------------------------------------------------


def test_golden_file(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    export(fixture_decks(), path)
    expected = (FIXTURES / "expected.txt").read_bytes()
    assert path.read_bytes() == expected


def test_header_comes_first_and_every_row_is_one_quoted_line() -> None:
    out = io.StringIO()
    summary = write_anki_csv(fixture_decks(), out, separator="comma")
    lines = out.getvalue().split("\n")
    assert lines[:7] == [
        "#separator:comma",
        "#html:true",
        "#guid column:1",
        "#notetype column:2",
        "#deck column:3",
        "#tags column:4",
        "#if matches:update current",
    ]
    assert lines[-1] == ""
    rows = lines[7:-1]
    assert len(rows) == summary.notes
    assert all(row.startswith('"quiz:') and row.endswith('"') for row in rows)


def test_guids_are_stable_and_distinct_across_decks() -> None:
    a = Deck("a", "A", (Note("n1", NoteType.BASIC, {"front": "x", "back": "y"}),))
    b = Deck("b", "B", (Note("n1", NoteType.BASIC, {"front": "x", "back": "y"}),))
    assert [r.guid for r in anki_rows([a, b])] == ["quiz:a:n1", "quiz:b:n1"]
    assert [r.guid for r in anki_rows([b, a])] == ["quiz:a:n1", "quiz:b:n1"]
    assert anki_guid("a:b", "c") != anki_guid("a", "b:c")
    assert anki_guid("#x y", "%") == "quiz:%23x%20y:%25"


def test_duplicate_ids_and_empty_fronts_are_refused() -> None:
    deck = Deck("a", "A", (Note("n1", NoteType.BASIC, {"front": "x", "back": "y"}),))
    with pytest.raises(ValueError, match="twice"):
        anki_rows([deck, deck])
    empty = Deck("a", "A", (Note("n1", NoteType.BASIC, {"front": "\x01", "back": "y"}),))
    with pytest.raises(ValueError, match="empty front"):
        anki_rows([empty])
    with pytest.raises(ValueError, match="separator"):
        write_anki_csv([deck], io.StringIO(), separator="semicolon")  # type: ignore[arg-type]


# --- Options ----------------------------------------------------------------------------


def test_tag_filter_selects_a_tag_and_the_tags_below_it() -> None:
    def selected(*tags: str) -> list[str]:
        return [r.guid.rsplit(":", 1)[1] for r in anki_rows(fixture_decks(), tags=tags)]

    assert selected("calciphylaxis::treatment") == ["sts", "pain"]
    assert selected("Calciphylaxis::TREATMENT") == ["sts", "pain"]
    assert selected("calciphylaxis::treatment::pain", "nephrology") == ["gfr", "potassium", "pain"]
    assert selected("calciphylaxis::treat") == []
    assert selected("pharmacology") == ["sts", "vignette"]
    assert [r.guid for r in anki_rows(fixture_decks(), tags="pharmacology")] == [
        "quiz:calciphylaxis:sts",
        "quiz:calciphylaxis:vignette",
    ]
    assert len(selected()) == 7


def test_filtered_export_imports_only_the_selected_notes(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    summary = export(fixture_decks(), path, tags=["calciphylaxis::treatment"])
    assert (summary.notes, summary.cards, summary.decks) == (2, 3, ("Nephrology::Calciphylaxis",))
    with anki_collection(tmp_path) as col:
        assert_clean_log(import_file(col, path)[1], new=2)
        assert set(stored_notes(col)) == {"quiz:calciphylaxis:sts", "quiz:calciphylaxis:pain"}


# --- Content Anki would misread --------------------------------------------------------


def basic(note_id: str, front: str, back: str = "back", tags: tuple[str, ...] = ()) -> Note:
    return Note(note_id, NoteType.BASIC, {"front": front, "back": back}, tags=tags)


def test_deck_titles_and_tags_anki_would_misread(tmp_path: Path) -> None:
    decks = [
        Deck("year", "2024", (basic("n", "numeric title"),)),
        Deck("stones", "renal::Stones ", (basic("n", "child before parent"),)),
        Deck("renal", "Renal", (basic("n", "parent, other case", tags=("Renal::acid base",)),)),
        Deck("again", " RENAL :: stones", (basic("n", "same deck, spaced", tags=("renal",)),)),
        Deck("tab", "Tab\tin title", (basic("n", "tab", tags=("a\tb", 'quote"d', "x::::y")),)),
    ]
    path = tmp_path / "export.txt"
    summary = export(decks, path)
    assert summary.decks == ("Deck 2024", "renal", "renal::Stones", "Tab in title")
    with anki_collection(tmp_path) as col:
        assert_clean_log(import_file(col, path)[1], new=5)
        assert deck_names(col) == {"Default", "Deck 2024", "renal", "renal::Stones", "Tab in title"}
        notes = stored_notes(col)
    assert notes["quiz:year:n"].decks == {"Deck 2024"}
    assert notes["quiz:stones:n"].decks == {"renal::Stones"}
    assert notes["quiz:again:n"].decks == {"renal::Stones"}
    assert notes["quiz:renal:n"].tags == ["Renal::acid_base"]
    assert notes["quiz:again:n"].tags == ["Renal"]
    assert notes["quiz:tab:n"].tags == ["a_b", 'quote"d', "x::blank::y"]


def test_braces_quotes_and_broken_clozes_do_not_break_the_file(tmp_path: Path) -> None:
    deck = Deck(
        "d",
        "D",
        (
            Note("broken", NoteType.CLOZE, {"text": "{{c1::unclosed and {{ braces"}),
            basic("braces", "{{c1::not a cloze}} in a basic note", "}} {{"),
            basic("quote", '"an unterminated quote', 'and "another'),
            basic("hash", "#comment?", "#"),
            Note("last", NoteType.CLOZE, {"text": "{{c1::still}} {{c2::imported}}"}),
        ),
    )
    path = tmp_path / "export.txt"
    assert export([deck], path).cards == 6
    with anki_collection(tmp_path) as col:
        assert_clean_log(import_file(col, path)[1], new=5)
        assert col.card_count() == 6
        notes = stored_notes(col)
    assert notes["quiz:d:broken"].fields == ["{{c1::unclosed and {{ braces", ""]
    assert notes["quiz:d:braces"].fields == ["{{c1::not a cloze}} in a basic note", "}} {{"]
    assert notes["quiz:d:braces"].card_ords == [0]
    assert notes["quiz:d:quote"].fields == ['"an unterminated quote', 'and "another']
    assert notes["quiz:d:hash"].fields == ["#comment?", "#"]
    assert notes["quiz:d:last"].card_ords == [0, 1]


# --- Any text ----------------------------------------------------------------------------

# fmt: off
NASTY = [
    "#", '"', "'", ",", ";", "\t", "\n", "\r\n", "\r", "{{", "}}", "{{c1::", "::", ":",
    "<b>", "</div>", "<br>", "&amp;", "&", "<", ">", "e\u0301", "\u0338", "\x00", "\x1f",
    "\x7f", "\x85", "\u2028", "\ufeff", "\u00a0", "\u3000", " ", "tags:", "\ud800", "😀",
    "ß", "SS", "İ", "i", "K", "\u212a", "[sound:x.mp3]", "-1", "7",
]
# fmt: on
text = st.lists(
    st.one_of(st.sampled_from(NASTY), st.text(st.characters(exclude_categories=()), max_size=3)),
    max_size=6,
).map("".join)
front = text.filter(lambda s: html_text(s) != "")
name = st.lists(
    st.one_of(st.sampled_from(NASTY), st.sampled_from(["a", "B", "::"])), min_size=1, max_size=5
).map("".join)


@st.composite
def any_note(draw: st.DrawFn, note_id: str) -> Note:
    kind = draw(st.sampled_from(list(NoteType)))
    fields: dict[str, object]
    if kind is NoteType.CLOZE:
        answer = text.filter(
            lambda s: bool(re.search(r"\w", s)) and not re.search(r"::|\{\{|\}\}|[{}:]$|^[{}:]", s)
        )
        parts = draw(st.lists(st.tuples(text, st.integers(1, 3), answer), min_size=1, max_size=3))
        fields = {"text": "".join(f"{t}{{{{c{n}::{a}}}}}" for t, n, a in parts) + draw(text)}
    elif kind is NoteType.MCQ:
        options = draw(st.lists(st.tuples(front, text), min_size=2, max_size=4))
        right = draw(st.integers(0, len(options) - 1))
        fields = {
            "stem": draw(front),
            "question": draw(st.none() | text),
            "options": [
                {"text": t, "correct": i == right, "explanation": e}
                for i, (t, e) in enumerate(options)
            ],
        }
    else:
        fields = {"front": draw(front), "back": draw(text)}
    source = draw(
        st.none() | st.builds(SourceRef, st.sampled_from(["s", "missing"]), st.none() | text)
    )
    return Note(
        note_id,
        kind,
        fields,
        tags=tuple(draw(st.lists(name, max_size=3))),
        source=source,
        extra=draw(st.none() | text),
    )


@st.composite
def any_decks(draw: st.DrawFn) -> list[Deck]:
    result = []
    for d in range(draw(st.integers(1, 2))):
        url = draw(st.sampled_from([None, 'https://ex.org/?a=1&b="2"<', "javascript:x()"]))
        deck_notes = tuple(draw(any_note(f"n{i}")) for i in range(draw(st.integers(1, 3))))
        result.append(
            Deck(f"d{d}", draw(name), deck_notes, sources=(Source("s", draw(front), url),))
        )
    return result


def well_formed(note: Note) -> bool:
    """False for a malformed cloze (our loader rejects them); Anki counts its cards its own way."""
    return note.type is not NoteType.CLOZE or not cloze.problems(note.fields["text"])


def plain(field: str) -> str:
    """The text an HTML field shows, for fields that came from one text."""
    return html.unescape(field.replace("<br>", "\n"))


def expected_plain(source: str) -> str:
    """Source text as Anki keeps it: NFC, one kind of line break, no control characters."""
    source = re.sub(r"[\ud800-\udfff]", "\ufffd", source)
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", source))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_decks(), st.sampled_from(["tab", "comma"]))
def test_anki_stores_exactly_what_was_written(decks: list[Deck], separator: Separator) -> None:
    rows = anki_rows(decks)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.txt"
        summary = export(decks, path, separator)
        with anki_collection(Path(tmp)) as col:
            _, log = import_file(col, path)
            assert_clean_log(log, new=len(rows))
            stored = stored_notes(col)
            names = deck_names(col)
            cards = col.card_count()

    by_id = {(d.id, n.id): n for d in decks for n in d.notes}
    for row in rows:
        note = stored[row.guid]
        assert note.notetype == row.notetype
        assert note.fields == list(row.fields)
        assert note.decks == {row.deck}
        assert note.tags == sorted(row.tags)
        deck_id, note_id = row.guid.removeprefix("quiz:").split(":")
        original = by_id[deck_id, note_id]
        if original.type in (NoteType.BASIC, NoteType.REVERSED):
            assert plain(row.fields[0]) == expected_plain(original.fields["front"])
        if original.type is NoteType.CLOZE:
            assert plain(row.fields[0]) == expected_plain(original.fields["text"])
        if well_formed(original):
            assert len(note.card_ords) == row.cards
    if all(well_formed(n) for d in decks for n in d.notes):
        assert cards == summary.cards
    parents = {row.deck.rsplit("::", i)[0] for row in rows for i in range(row.deck.count("::") + 1)}
    assert names == {"Default", *parents}
