"""Item-writing warnings: the rules of a good card that a program can check, each with its line.

`quiz check` adds these to the lint warnings (quiz.decks.lint). They catch the
cues that let a student answer without knowing the fact, and explanations
that teach nothing:

- **hint-shares-answer**: a cloze hint shares a content word, or its stem, with
  the hidden answer (``{{hypervitaminosis D::vitamin excess}}``);
- **answer-word-in-question**: a content word of a basic or reversed note's
  answer appears in its question (and, for reversed notes, a word of the
  front in the back, which is the reverse card's question); for an MCQ, a
  content word of the correct option that appears in the stem or lead-in when
  no distractor shares a word with them (the "clang" cue);
- **absolute-word**: an MCQ option that uses an absolute word (always, never,
  all, none, only...): test-wise students rule such options out, or in;
- **circular-extra**: an `extra` that adds no content word beyond the card's
  question and answer, other than words about the source (``SOURCE_WORDS``:
  "it is one of the listed risk factors"), i.e. it restates the front
  instead of explaining it.

A content word is a word of ``MIN_WORD_CHARS`` letters or more that is not a
common English function word; words are compared by a light stem, so
"factors" matches "factor" and "calcify" does not match "calcium".
Like lint, these rules read the parsed YAML and skip anything of the wrong
shape, which the loader reports as an error.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from quiz.decks.diagnostics import Diagnostic, Severity
from quiz.decks.loader import format_path
from quiz.decks.yamlnodes import Located, Path
from quiz.domain import cloze
from quiz.domain.notes import LETTERS

MIN_WORD_CHARS = 4
"""Shorter words (and, the, of, IV...) are never compared."""

MIN_STEM_IN_WORD = 5
"""A stem this long counts as shared when it sits inside a longer word ("vitamin" in
"hypervitaminosis")."""

SOURCE_WORDS = frozenset(
    {"listed", "reported", "named", "mentioned", "described", "source", "sources", "known"}
)
"""Words that say where a fact is written, not why it is true; they do not make an extra
explain anything."""

ABSOLUTE_WORDS = frozenset(
    {"always", "never", "all", "none", "only", "every", "invariably", "must", "cannot"}
)

STOP_WORDS = frozenset(
    [
        "about",
        "above",
        "after",
        "again",
        "against",
        "also",
        "although",
        "among",
        "another",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "either",
        "from",
        "further",
        "have",
        "having",
        "here",
        "itself",
        "just",
        "like",
        "more",
        "most",
        "much",
        "other",
        "over",
        "same",
        "should",
        "some",
        "such",
        "than",
        "that",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "under",
        "until",
        "upon",
        "very",
        "what",
        "when",
        "where",
        "which",
        "while",
        "whom",
        "whose",
        "will",
        "with",
        "within",
        "without",
        "would",
        "your",
        "into",
        "onto",
        "only",
    ]
)

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SUFFIXES = (
    "ically", "ations", "ation", "ities", "ity", "ings", "ing", "ness", "ous", "ies", "ied",
    "ed", "es", "ic", "al", "s",
)  # fmt: skip


def item_rules(located: Located, name: str) -> list[Diagnostic]:
    """The item-writing warnings for one parsed deck file named ``name``, in file order."""
    data = located.value
    if not isinstance(data, dict) or not isinstance(data.get("notes"), list):
        return []
    found: list[Diagnostic] = []

    def warn(path: Path, message: str) -> None:
        mark = located.mark_for(path)
        found.append(
            Diagnostic(
                name,
                mark.line,
                mark.column,
                Severity.WARNING,
                format_path(path, located),
                message,
            )
        )

    for i, note in enumerate(data["notes"]):
        if isinstance(note, dict):
            for path, message in _note_problems(("notes", i), note):
                warn(path, message)
    found.sort(key=lambda d: (d.line, d.column))
    return found


def _note_problems(base: Path, note: dict[str, Any]) -> list[tuple[Path, str]]:
    kind = note.get("type")
    out: list[tuple[Path, str]] = []
    question, answer = "", ""
    if kind in ("basic", "reversed"):
        front, back = _str(note.get("front")), _str(note.get("back"))
        if front is None or back is None:
            return out
        question, answer = front, back
        # A whole answer inside its question is lint's warning already; one is enough.
        whole = _phrase_in(back, front) or (kind == "reversed" and _phrase_in(front, back))
        shared = [] if whole else _shared(content_stems(back), front)
        if shared:
            out.append(((*base, "back"), _echo("answer", shared, "front")))
        if kind == "reversed":
            shared = [] if whole else _shared(content_stems(front), back)
            if shared:
                out.append(
                    ((*base, "front"), _echo("front", shared, "back (the reverse card's question)"))
                )
    elif kind == "cloze":
        text = _str(note.get("text"))
        if text is None:
            return out
        question = cloze.render_full(text)
        for d in cloze.deletions(text):
            if d.hint and not _phrase_in(d.answer, d.hint) and hint_shares_answer(d.hint, d.answer):
                out.append(
                    (
                        (*base, "text"),
                        f"the hint {d.hint!r} of c{d.number} shares a word with its answer "
                        f"{d.answer!r}; use a neutral hint (or none)",
                    )
                )
    elif kind == "mcq":
        question = " ".join(
            t for t in (_str(note.get("stem")), _str(note.get("question"))) if t is not None
        )
        out.extend(_mcq_problems(base, note, question))
        answer = " ".join(
            str(o.get("text", ""))
            for o in _list(note.get("options"))
            if isinstance(o, dict) and o.get("correct") is True
        )
    extra = _str(note.get("extra"))
    if extra is not None and question and is_circular(extra, f"{question} {answer}"):
        out.append(
            (
                (*base, "extra"),
                "the extra only restates the question and answer; say why the answer is "
                "true (a mechanism, a contrast, a consequence)",
            )
        )
    return out


def _mcq_problems(base: Path, note: dict[str, Any], question: str) -> list[tuple[Path, str]]:
    out: list[tuple[Path, str]] = []
    options = [o for o in _list(note.get("options")) if isinstance(o, dict)]
    question_stems = content_stems(question)
    distractor_stems: set[str] = set()
    for option in options:
        text = _str(option.get("text"))
        if text is not None and option.get("correct") is not True:
            distractor_stems |= content_stems(text)
    # A stem that echoes a distractor too (a medicine list, a lab value) gives nothing away.
    echoed_distractor = bool(distractor_stems & question_stems)
    for j, option in enumerate(_list(note.get("options"))):
        text = _str(option.get("text")) if isinstance(option, dict) else None
        if text is None:
            continue
        path = (*base, "options", j, "text")
        absolute = sorted({w for w in words(text) if w in ABSOLUTE_WORDS})
        if absolute:
            out.append(
                (
                    path,
                    f"option {_letter(j)} uses the absolute word(s) {', '.join(absolute)}; "
                    "test-wise students rule such options out without knowing the fact",
                )
            )
        if option.get("correct") is True and not echoed_distractor:
            cue = [] if _phrase_in(text, question) else sorted(content_stems(text) & question_stems)
            if cue:
                out.append(
                    (
                        path,
                        f"the correct option shares {', '.join(repr(c) for c in cue)} with the "
                        "stem and no distractor echoes the stem; reword it or the distractors",
                    )
                )
    return out


def words(text: str) -> list[str]:
    """The words of text, case-folded."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def stem(word: str) -> str:
    """A light stem: one common suffix removed when at least four letters remain."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_WORD_CHARS:
            return word[: -len(suffix)]
    return word


def content_stems(text: str) -> set[str]:
    """The stems of the content words of text."""
    return {
        stem(w)
        for w in words(text)
        if len(w) >= MIN_WORD_CHARS and w not in STOP_WORDS and not w.isdigit()
    }


def hint_shares_answer(hint: str, answer: str) -> bool:
    """Whether a cloze hint gives away (part of) its answer by sharing a word or stem."""
    answer_words = [w for w in words(answer) if len(w) >= MIN_WORD_CHARS]
    for h in content_stems(hint):
        for w in answer_words:
            if stem(w) == h or (len(h) >= MIN_STEM_IN_WORD and h in w):
                return True
            if len(stem(w)) >= MIN_STEM_IN_WORD and stem(w) in h:
                return True
    return False


def is_circular(extra: str, question_and_answer: str) -> bool:
    """Whether an extra brings no content word of its own, source words aside."""
    sources = {stem(w) for w in SOURCE_WORDS}
    return not (content_stems(extra) - content_stems(question_and_answer) - sources)


def _phrase_in(answer: str, question: str) -> bool:
    needle = " ".join(words(answer))
    return bool(needle) and f" {needle} " in f" {' '.join(words(question))} "


def _shared(answer_stems: set[str], question: str) -> list[str]:
    return sorted(answer_stems & content_stems(question))


def _echo(what: str, shared: list[str], where: str) -> str:
    listed = ", ".join(repr(s) for s in shared)
    return (
        f"the {what} repeats {listed} from the {where}; a word shared with the question "
        "cues the answer, so drop or rephrase it"
    )


def _letter(index: int) -> str:
    return LETTERS[index] if index < len(LETTERS) else str(index + 1)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
