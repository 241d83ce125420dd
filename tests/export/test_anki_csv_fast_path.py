"""The exporter's fast path writes byte for byte what the plain reference writes.

The exporter normalizes each distinct tag, deck name and citation once, takes a
shortcut for ASCII text and quotes cells itself; ``reference_anki_csv`` is the
exporter before those changes. Any difference in the file, the summary, the
rows or an error message fails here.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quiz.domain.notes import Deck, Note, NoteType, Source, SourceRef
from quiz.export import anki_csv, anki_text
from tests.export import reference_anki_csv as reference
from tests.export.test_anki_csv import any_decks, fixture_decks, name, text

ascii_text = st.text(st.characters(max_codepoint=127), max_size=40)


def written(module: Any, decks: Sequence[Deck], separator: str, tags: Sequence[str]) -> object:
    """What one exporter makes of decks: the file, the summary and the rows, or its error."""
    out = io.StringIO()
    try:
        summary = module.write_anki_csv(decks, out, separator=separator, tags=tags)
        rows = [
            (r.guid, r.notetype, r.deck, r.tags, r.fields, r.note_type, r.cards)
            for r in module.anki_rows(decks, tags=tags)
        ]
    except ValueError as exc:
        return ("error", str(exc))
    return out.getvalue(), summary.notes, summary.cards, dict(summary.by_type), summary.decks, rows


def assert_same(decks: Sequence[Deck], separator: str = "tab", tags: Sequence[str] = ()) -> None:
    assert written(anki_csv, decks, separator, tags) == written(reference, decks, separator, tags)


@given(st.one_of(text, ascii_text))
def test_html_text_matches_the_reference(value: str) -> None:
    assert anki_text.html_text(value) == reference.html_text(value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    any_decks(),
    st.sampled_from(["tab", "comma"]),
    st.lists(name, max_size=2) | name,
)
def test_any_decks_are_written_as_the_reference_writes_them(
    decks: list[Deck], separator: str, tags: list[str] | str
) -> None:
    assert_same(decks, separator, tags)
    assert_same(decks, separator)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(ascii_text, ascii_text, st.lists(st.sampled_from(["a", "A::b", "a::B", "c d"]))),
        min_size=1,
        max_size=8,
    )
)
def test_ascii_notes_sharing_tags_and_sources_match_the_reference(
    notes: list[tuple[str, str, list[str]]],
) -> None:
    deck_notes = tuple(
        Note(
            f"n{i}",
            NoteType.REVERSED if i % 2 else NoteType.BASIC,
            {"front": f"q{front}", "back": back},
            tags=tuple(tags),
            source=SourceRef("s", "Ch. 1" if i % 3 else None),
            extra=back or None,
        )
        for i, (front, back, tags) in enumerate(notes)
    )
    decks = [
        Deck("one", 'Board "prep"::Renal', deck_notes, sources=(Source("s", "Book", "https://x"),)),
        Deck("two", "board PREP", deck_notes, sources=(Source("s", "Other & <co>"),)),
    ]
    assert_same(decks, "comma")
    assert_same(decks, "tab", ["A"])


def test_the_fixture_decks_match_the_reference_with_and_without_a_filter() -> None:
    assert_same(fixture_decks())
    assert_same(fixture_decks(), "comma", "pharmacology")
    assert_same(fixture_decks(), "tab", ["calciphylaxis::treatment", "nephrology"])


@pytest.mark.parametrize(
    "decks",
    [
        [Deck("a", "A", (Note("n1", NoteType.BASIC, {"front": "x", "back": "y"}),))] * 2,
        [Deck("a", "A", (Note("n1", NoteType.BASIC, {"front": "\x01", "back": "y"}),))],
        [Deck("a", "A", (Note("n1", NoteType.CLOZE, {"text": "\x7f"}),))],
    ],
)
def test_refusals_give_the_reference_message(decks: list[Deck]) -> None:
    found = written(anki_csv, decks, "tab", ())
    assert isinstance(found, tuple) and found[0] == "error"
    assert found == written(reference, decks, "tab", ())


def test_notes_left_out_by_the_filter_do_not_set_spellings() -> None:
    # Only rows written decide how a name differing in case is spelled.
    left_out = Note("n", NoteType.BASIC, {"front": "x", "back": "y"}, tags=("Other", "drop"))
    kept = Note("n", NoteType.BASIC, {"front": "x", "back": "y"}, tags=("keep", "other"))
    decks = [Deck("a", "renal", (left_out,)), Deck("b", "Renal", (kept,))]
    assert_same(decks, "tab", ["keep"])
    assert anki_csv.anki_rows(decks, tags="keep")[0].deck == "Renal"
    assert anki_csv.anki_rows(decks, tags="keep")[0].tags == ("keep", "other")
