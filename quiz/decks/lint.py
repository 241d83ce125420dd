"""Lint for deck files: warnings about notes that load but would teach badly, each with its line.

`quiz check` reports these after the errors. A warning never stops an import.
The checks, and the thresholds a deck author may want to know:

- the answer appears in its own question (whole words, ignoring case): a basic
  or reversed note's back in its front (and, for reversed notes, the front in
  the back, which is the reverse card's question); a cloze answer shown
  elsewhere in the same card (another deletion, plain text, or its hint); an
  MCQ's correct option in the stem or lead-in when no other option is
  (a stem listing a patient's medicines may name them all). Answers shorter than
  ``MIN_ANSWER_CHARS`` are not checked, since one letter matches almost anything;
- two notes with the same front (basic/reversed ``front``, a cloze's full
  text, an MCQ's stem and lead-in) after ignoring case, punctuation and
  spacing, or fronts at least ``NEAR_DUPLICATE_RATIO`` similar;
- a cloze whose numbers skip one (c1, c3); an empty deletion is an error, not
  a warning (quiz.domain.cloze);
- an MCQ with the same option twice;
- a note with no ``source``, or one citing a source id the deck does not declare;
- a front or a cloze text longer than ``MAX_FRONT_CHARS``, an answer (a back,
  a cloze deletion, an MCQ option) longer than ``MAX_ANSWER_CHARS``. MCQ stems
  are exempt: a vignette is long by design;
- a tag missing from ``deck.tags`` when the deck declares a vocabulary (a
  parent of a declared tag counts as declared);
- correct options that cluster in one position: with ``KEY_POSITION_MIN_MCQS``
  or more MCQs in a deck, more than ``KEY_POSITION_MAX_SHARE`` of them with the
  key at the same position (a, b, ...). Review shuffles the options, but the Anki
  export, `shuffle: false` notes and anyone reading the file see this order.

Lint reads the parsed YAML rather than validated notes, so that a file with
errors still gets its warnings in the same run; anything of the wrong shape is
skipped here because the loader already reports it as an error.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from typing import Any

from quiz.decks.diagnostics import Diagnostic, Severity
from quiz.decks.loader import format_path
from quiz.decks.yamlnodes import Located, Path
from quiz.domain import cloze
from quiz.domain.notes import LETTERS

MAX_FRONT_CHARS = 300
"""A question longer than this (about 50 words) is usually several facts; MCQ stems are exempt."""

MAX_ANSWER_CHARS = 300
"""An answer longer than this cannot be recalled and graded honestly."""

MIN_ANSWER_CHARS = 2
"""Shorter answers are not looked for in their question."""

NEAR_DUPLICATE_RATIO = 0.9
"""difflib similarity of two normalised fronts at which they are reported as near-duplicates."""

NEIGHBOURS = 5
"""Fronts compared with each front for near-duplicates, in each of two sort orders.

Comparing every pair is quadratic (50 million pairs for 10,000 notes). Near
duplicates differ by a small edit, so they sort next to each other either
forwards (edit near the end) or by their reversed text (edit near the start);
comparing only sorted neighbours keeps the cost at O(n log n).
"""

KEY_POSITION_MIN_MCQS = 5
"""Below this many MCQs in a deck, key positions are not checked (too few to cluster)."""

KEY_POSITION_MAX_SHARE = 0.4
"""Most MCQs of a deck that may have their key at one position (two in five)."""

_FRONT_FIELD = {"basic": "front", "reversed": "front", "cloze": "text", "mcq": "stem"}
_NOT_WORD = re.compile(r"[\W_]+")
_SPACES = re.compile(r"\s+")


def lint(located: Located, name: str) -> list[Diagnostic]:
    """The warnings for one parsed deck file named ``name``, in file order."""
    data = located.value
    if not isinstance(data, dict) or not isinstance(data.get("notes"), list):
        return []
    linter = _Linter(located, name)
    meta: dict[str, Any] = data["deck"] if isinstance(data.get("deck"), dict) else {}
    sources = {
        s["id"] for s in _list(meta.get("sources")) if isinstance(s, dict) and _str(s.get("id"))
    }
    vocabulary = [t for t in _list(meta.get("tags")) if isinstance(t, str)]
    fronts: list[tuple[int, str]] = []
    for i, note in enumerate(data["notes"]):
        if not isinstance(note, dict):
            continue
        linter.note(("notes", i), note, sources, vocabulary)
        front = _front(note)
        if front is not None:
            fronts.append((i, front))
    linter.duplicates(fronts)
    linter.key_positions(data["notes"])
    linter.found.sort(key=lambda d: (d.line, d.column))
    return linter.found


class _Linter:
    def __init__(self, located: Located, name: str) -> None:
        self.located = located
        self.name = name
        self.found: list[Diagnostic] = []

    def warn(self, path: Path, message: str, at: Path | None = None) -> None:
        mark = self.located.mark_for(at if at is not None else path)
        self.found.append(
            Diagnostic(
                self.name,
                mark.line,
                mark.column,
                Severity.WARNING,
                format_path(path, self.located),
                message,
            )
        )

    def note(
        self, base: Path, note: dict[str, Any], sources: set[str], vocabulary: list[str]
    ) -> None:
        kind = note.get("type")
        if kind in ("basic", "reversed"):
            self.basic(base, note, reversed_=kind == "reversed")
        elif kind == "cloze":
            self.cloze(base, note)
        elif kind == "mcq":
            self.mcq(base, note)
        self.source(base, note, sources)
        self.tags(base, note, vocabulary)

    def basic(self, base: Path, note: dict[str, Any], *, reversed_: bool) -> None:
        front, back = _str(note.get("front")), _str(note.get("back"))
        if front is not None and back is not None:
            if _contains(front, back):
                self.warn((*base, "back"), f"the answer {_quote(back)} appears in the front")
            if reversed_ and _contains(back, front):
                self.warn(
                    (*base, "front"),
                    f"the front {_quote(front)} appears in the back, "
                    "which is the question of the reverse card",
                )
        if front is not None and len(front) > MAX_FRONT_CHARS:
            self.warn((*base, "front"), _too_long("front", len(front), MAX_FRONT_CHARS))
        if back is not None and len(back) > MAX_ANSWER_CHARS:
            self.warn((*base, "back"), _too_long("answer", len(back), MAX_ANSWER_CHARS))

    def cloze(self, base: Path, note: dict[str, Any]) -> None:
        text = _str(note.get("text"))
        if text is None:
            return
        path = (*base, "text")
        deletions = cloze.deletions(text)
        gaps = cloze.number_gaps(text)
        if deletions and gaps:
            used = ", ".join(f"c{n}" for n in cloze.numbers(text))
            self.warn(
                path,
                f"cloze numbering skips {', '.join(f'c{n}' for n in gaps)} (uses {used}); "
                "number the deletions c1, c2, ... without gaps",
            )
        prompts = cloze.render_prompts(text) if _cheap_enough(text, deletions) else {}
        answers: dict[int, list[str]] = {}
        for d in deletions:
            answers.setdefault(d.number, []).append(d.answer)
        for number, prompt in prompts.items():
            for answer in dict.fromkeys(answers[number]):
                if _contains(prompt, answer):
                    self.warn(
                        path,
                        f"the answer {_quote(answer)} of c{number} also appears in that "
                        "card's question (in the text, another deletion or its hint)",
                    )
        full = cloze.render_full(text)
        if len(full) > MAX_FRONT_CHARS:
            self.warn(path, _too_long("cloze text", len(full), MAX_FRONT_CHARS))
        for d in deletions:
            if len(d.answer) > MAX_ANSWER_CHARS:
                self.warn(
                    path, _too_long(f"answer of c{d.number}", len(d.answer), MAX_ANSWER_CHARS)
                )

    def key_positions(self, notes: list[Any]) -> None:
        """One warning when the decks' correct options cluster at one position."""
        positions: list[tuple[int, int]] = []  # (note index, key position)
        for i, note in enumerate(notes):
            if not isinstance(note, dict) or note.get("type") != "mcq":
                continue
            options = _list(note.get("options"))
            keys = [j for j, o in enumerate(options) if isinstance(o, dict) and o.get("correct")]
            if len(keys) == 1:
                positions.append((i, keys[0]))
        if len(positions) < KEY_POSITION_MIN_MCQS:
            return
        counts = Counter(position for _, position in positions)
        position, count = max(counts.items(), key=lambda item: (item[1], -item[0]))
        if count <= KEY_POSITION_MAX_SHARE * len(positions):
            return
        first = next(i for i, p in positions if p == position)
        spread = ", ".join(f"{_letter(p)} {counts[p]}" for p in sorted(counts))
        self.warn(
            ("notes", first, "options", position),
            f"{count} of {len(positions)} multiple-choice questions have the correct option "
            f"at {_letter(position)} ({spread}); more than "
            f"{KEY_POSITION_MAX_SHARE:.0%} at one position teaches the position, not the "
            "answer: vary where the correct option is listed",
        )

    def mcq(self, base: Path, note: dict[str, Any]) -> None:
        question = " ".join(
            t for t in (_str(note.get("stem")), _str(note.get("question"))) if t is not None
        )
        seen: dict[str, int] = {}
        best: tuple[int, str] | None = None
        cued_distractor = False
        for j, option in enumerate(_list(note.get("options"))):
            text = _str(option.get("text")) if isinstance(option, dict) else None
            if text is None:
                continue
            path = (*base, "options", j, "text")
            key = _normal(text)
            if key in seen:
                self.warn(
                    path,
                    f"option {_letter(j)} repeats option {_letter(seen[key])} ({_quote(text)})",
                )
            else:
                seen[key] = j
            if option.get("correct") is True:
                best = (j, text)
            elif _contains(question, text):
                cued_distractor = True
            if len(text) > MAX_ANSWER_CHARS:
                self.warn(path, _too_long(f"option {_letter(j)}", len(text), MAX_ANSWER_CHARS))
        # A stem that lists several options ("her medicines are ...; which should be
        # stopped?") is a fair question; only the best answer alone in the stem is a giveaway.
        if best is not None and not cued_distractor and _contains(question, best[1]):
            self.warn(
                (*base, "options", best[0], "text"),
                f"the correct option {_quote(best[1])} appears in the stem or question "
                "(and no other option does)",
            )

    def source(self, base: Path, note: dict[str, Any], sources: set[str]) -> None:
        source = note.get("source")
        if source is None:
            hint = (
                f"cite one of deck.sources ({', '.join(sorted(sources))})"
                if sources
                else "declare it under deck.sources and cite it"
            )
            self.warn(base, f"has no source; {hint} with `source: {{id: ...}}`")
        elif isinstance(source, dict):
            source_id = _str(source.get("id"))
            if source_id is not None and source_id not in sources:
                # Same wording, place and path as the loader's warning, so that the two
                # are one after de-duplication in check_deck.
                self.warn(
                    (*base, "source"),
                    f"unknown source id {source_id!r}; declare it under deck.sources",
                    at=(*base, "source", "id"),
                )

    def tags(self, base: Path, note: dict[str, Any], vocabulary: list[str]) -> None:
        if not vocabulary:
            return
        allowed = set(vocabulary)
        for tag in vocabulary:
            parts = tag.split("::")
            allowed.update("::".join(parts[:k]) for k in range(1, len(parts)))
        for j, tag in enumerate(_list(note.get("tags"))):
            if isinstance(tag, str) and tag not in allowed:
                close = difflib.get_close_matches(tag, vocabulary, n=1, cutoff=0.75)
                hint = f"did you mean {close[0]!r}?" if close else "add it there or fix it"
                self.warn((*base, "tags", j), f"tag {tag!r} is not in deck.tags; {hint}")

    def duplicates(self, fronts: list[tuple[int, str]]) -> None:
        notes: list[Any] = self.located.value["notes"]
        for later, earlier, ratio in _similar_pairs(fronts):
            field_name = _FRONT_FIELD[notes[later]["type"]]
            other = format_path(("notes", earlier), self.located)
            line = self.located.mark_for(("notes", earlier)).line
            if ratio >= 1.0:
                message = (
                    f"same front as {other} at line {line} (ignoring case and punctuation); "
                    "merge them or make the questions distinct"
                )
            else:
                message = (
                    f"front is {int(ratio * 100)}% similar to {other} at line {line}; "
                    "a near-duplicate teaches the same fact twice"
                )
            self.warn(("notes", later, field_name), message)


def _similar_pairs(fronts: list[tuple[int, str]]) -> Iterator[tuple[int, int, float]]:
    """(later note, earlier note, similarity) for each note whose front repeats an earlier one.

    Similarity is 1.0 for fronts equal after normalising. Each note is reported
    once, against its most similar earlier note.
    """
    first: dict[str, int] = {}
    best: dict[int, tuple[int, float]] = {}
    for i, text in fronts:
        key = _normal(text)
        if not key:
            continue
        if key in first:
            best[i] = (first[key], 1.0)
        else:
            first[key] = i
    unique = list(first.items())
    # Character counts bound difflib's ratio from above (its quick_ratio) but cost
    # far less when computed once per front: most neighbours stop there.
    counts = {text: Counter(text) for text, _ in unique}
    for order in (sorted(unique), sorted(unique, key=lambda item: item[0][::-1])):
        for a, (text_a, i_a) in enumerate(order):
            for text_b, i_b in order[a + 1 : a + 1 + NEIGHBOURS]:
                total = len(text_a) + len(text_b)
                if 2 * min(len(text_a), len(text_b)) / total < NEAR_DUPLICATE_RATIO:
                    continue
                shared = sum((counts[text_a] & counts[text_b]).values())
                if 2 * shared / total < NEAR_DUPLICATE_RATIO:
                    continue
                ratio = difflib.SequenceMatcher(None, text_a, text_b, autojunk=False).ratio()
                if ratio < NEAR_DUPLICATE_RATIO:
                    continue
                earlier, later = min(i_a, i_b), max(i_a, i_b)
                if later not in best or best[later][1] < ratio:
                    best[later] = (earlier, ratio)
    for later in sorted(best):
        earlier, ratio = best[later]
        yield later, earlier, ratio


def _front(note: dict[str, Any]) -> str | None:
    kind = note.get("type")
    if kind in ("basic", "reversed"):
        return _str(note.get("front"))
    if kind == "cloze":
        text = _str(note.get("text"))
        return cloze.render_full(text) if text is not None else None
    if kind == "mcq":
        parts = [_str(note.get("stem")), _str(note.get("question"))]
        return " ".join(p for p in parts if p is not None) or None
    return None


def _normal(text: str) -> str:
    """Text compared without case, punctuation, accents' encoding or spacing differences."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _NOT_WORD.sub(" ", folded).strip()


MAX_CLOZE_WORK = 2_000_000
"""Characters of prompts (numbers x text length) a cloze note may take to look for its
answers in its own questions. Past it (a text far longer than ``MAX_FRONT_CHARS`` with
hundreds of numbers, which gets that warning anyway) the look is skipped, so that a
check stays linear in the size of the file."""


def _cheap_enough(text: str, deletions: list[cloze.Deletion]) -> bool:
    numbers = {d.number for d in deletions}
    return len(numbers) * len(text) <= MAX_CLOZE_WORK


def _contains(question: str, answer: str) -> bool:
    """Whether answer appears in question as whole words, ignoring case and spacing."""
    folded_answer = _SPACES.sub(" ", unicodedata.normalize("NFKC", answer).casefold())
    needle = folded_answer.strip().strip(".,;:!?\"'()[]")
    if len(needle) < MIN_ANSWER_CHARS:
        return False
    haystack = _SPACES.sub(" ", unicodedata.normalize("NFKC", question).casefold())
    # str.find, not a regex per answer: compiling 10,000 one-off patterns costs seconds.
    start = haystack.find(needle)
    while start != -1:
        end = start + len(needle)
        before = haystack[start - 1] if start else " "
        after = haystack[end] if end < len(haystack) else " "
        if not _is_word(before) and not _is_word(after):
            return True
        start = haystack.find(needle, start + 1)
    return False


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _too_long(what: str, length: int, limit: int) -> str:
    return (
        f"{what} is {length} characters (over {limit}); split the fact into smaller notes "
        "or move detail to `extra`"
    )


def _quote(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _letter(index: int) -> str:
    return LETTERS[index] if index < len(LETTERS) else str(index + 1)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
