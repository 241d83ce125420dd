"""Which passages of the source documents no fact covers: the instructor's to-do list.

Each fact may carry a ``quote`` (and the facts file a ``left_out`` list of
passages not taught on purpose, each with a reason). A quote is a run of the
source's words, or ``first words ... last words`` for a longer passage.
Quotes and sources are compared as words only (case, punctuation and spacing
ignored), so a quote taken from a copy with punctuation stripped still matches.
Every word of a source that no quote covers belongs to an uncovered passage;
passages with fewer than ``MIN_PASSAGE_WORDS`` content words (a stray "the",
a heading) are not reported.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MIN_PASSAGE_WORDS = 2
"""Uncovered runs with fewer content words than this are noise, not untaught facts."""

ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)\s*")
_WORD = re.compile(r"[^\W_]+")
_SENTENCE_END = re.compile(r"[.!?;]\s")
_FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "were",
        "with",
        "ie",
        "eg",
    ]
)
MAX_SPAN_WORDS = 400
"""A ``first ... last`` quote whose end is further than this from its start is not a match."""


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    line: int
    sentence: int
    """Passages end where sentences and lines end, so each is reported on its own."""


@dataclass(frozen=True, slots=True)
class Passage:
    """A run of source words that no quote covers."""

    file: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.text}"


def words(text: str) -> list[Word]:
    """The words of a document, case-folded, each with its 1-based line and sentence."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    out: list[Word] = []
    sentence = 0
    for number, line in enumerate(folded.split("\n"), start=1):
        sentence += 1
        end = 0
        for m in _WORD.finditer(line):
            if _SENTENCE_END.search(line, end, m.start()):
                sentence += 1
            out.append(Word(m.group(0), number, sentence))
            end = m.end()
    return out


def quote_spans(doc: list[Word], quote: str) -> list[tuple[int, int]]:
    """Every [start, end) range of word indices of doc that a quote covers."""
    parts = [[w.text for w in words(p)] for p in ELLIPSIS.split(quote.strip())]
    parts = [p for p in parts if p]
    if not parts:
        return []
    texts = [w.text for w in doc]
    spans: list[tuple[int, int]] = []
    for start in _find_all(texts, parts[0], 0):
        end = start + len(parts[0])
        for part in parts[1:]:
            found = next(iter(_find_all(texts, part, end)), None)
            if found is None or found - start > MAX_SPAN_WORDS:
                end = -1
                break
            end = found + len(part)
        if end != -1:
            spans.append((start, end))
    return spans


def uncovered(name: str, text: str, quotes: list[str]) -> tuple[list[Passage], set[int]]:
    """The passages of one document that none of the quotes covers, and which quotes
    (by index) matched somewhere in it."""
    doc = words(text)
    covered = [False] * len(doc)
    matched: set[int] = set()
    for q, quote in enumerate(quotes):
        for start, end in quote_spans(doc, quote):
            matched.add(q)
            for i in range(start, end):
                covered[i] = True
    passages: list[Passage] = []
    run: list[Word] = []
    for word, done in [*zip(doc, covered, strict=True), (Word("", 0, -1), True)]:
        if not done and (not run or run[-1].sentence == word.sentence):
            run.append(word)
            continue
        if sum(1 for w in run if w.text not in _FUNCTION_WORDS) >= MIN_PASSAGE_WORDS:
            passages.append(Passage(name, run[0].line, _excerpt(run)))
        run = [] if done else [word]
    return passages, matched


def _find_all(texts: list[str], part: list[str], start: int) -> list[int]:
    n = len(part)
    first = part[0]
    return [
        i
        for i in range(start, len(texts) - n + 1)
        if texts[i] == first and texts[i : i + n] == part
    ]


def _excerpt(run: list[Word], limit: int = 110) -> str:
    text = " ".join(w.text for w in run)
    return text if len(text) <= limit else text[: limit - 3] + "..."
