"""Source coverage: which passages of a source document no quote covers."""

from __future__ import annotations

from quiz.decks.source_coverage import quote_spans, uncovered, words

TEXT = """\
Calciphylaxis is rare. It mostly affects people on dialysis.
Fentanyl and methadone are preferred; morphine is avoided.
"""


def test_quotes_match_words_ignoring_case_and_punctuation() -> None:
    doc = words(TEXT)
    assert quote_spans(doc, "FENTANYL and methadone, are preferred") == [(9, 14)]
    assert quote_spans(doc, "it mostly affects ... dialysis") == [(3, 9)]
    assert quote_spans(doc, "no such words") == []
    assert quote_spans(doc, "dialysis ... calciphylaxis") == []  # the end must follow the start


def test_uncovered_passages_are_split_at_sentences_and_report_their_line() -> None:
    passages, matched = uncovered("notes.txt", TEXT, ["calciphylaxis is rare", "nothing here"])
    assert [str(p) for p in passages] == [
        "notes.txt:1: it mostly affects people on dialysis",
        "notes.txt:2: fentanyl and methadone are preferred",
        "notes.txt:2: morphine is avoided",
    ]
    assert matched == {0}


def test_short_leftovers_are_not_reported() -> None:
    quotes = ["calciphylaxis is rare", "it mostly affects people", "fentanyl ... avoided"]
    passages, _ = uncovered("n", TEXT, quotes)
    assert passages == []  # "on dialysis" has one content word: a leftover, not a fact
