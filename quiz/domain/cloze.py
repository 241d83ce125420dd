"""Cloze deletions in Anki's syntax: ``{{c1::answer}}`` or ``{{c1::answer::hint}}``."""

from __future__ import annotations

import re
from dataclasses import dataclass

# The answer may not contain "::" or "}}"; a hint may not contain "}}". Nested
# deletions are not supported, so an answer may not contain "{{" either.
_DELETION = re.compile(
    r"\{\{c(\d+)::((?:(?!::|\}\}|\{\{).)*)(?:::((?:(?!\}\}|\{\{).)*))?\}\}", re.DOTALL
)

BLANK = "[...]"

MAX_NUMBER = 500
"""Highest cloze number: one card each, so c500 is already 500 cards from one note
(Anki itself stops generating cards past c500)."""

_TOO_LARGE = MAX_NUMBER + 1
"""What a number written with more digits than any allowed one stands for: converting
a thousand-digit number would cost time (and Python refuses past 4,300 digits)."""


def _number(digits: str) -> int:
    return int(digits) if len(digits) <= len(str(MAX_NUMBER)) else _TOO_LARGE


@dataclass(frozen=True, slots=True)
class Deletion:
    number: int
    answer: str
    hint: str | None
    start: int
    end: int


def deletions(text: str) -> list[Deletion]:
    """Every well-formed deletion in text, in order."""
    return [
        Deletion(_number(m.group(1)), m.group(2), m.group(3), m.start(), m.end())
        for m in _DELETION.finditer(text)
    ]


def numbers(text: str) -> list[int]:
    """The distinct cloze numbers in text, ascending: one card each."""
    return sorted({d.number for d in deletions(text)})


def problems(text: str) -> list[str]:
    """What makes a cloze text unusable (empty when it is fine)."""
    found = deletions(text)
    issues: list[str] = []
    leftover = _DELETION.sub("", text)
    if "{{" in leftover or "}}" in leftover:
        issues.append(
            "has a malformed cloze; write deletions as {{c1::answer}} or {{c1::answer::hint}}"
        )
    elif not found:
        issues.append("has no cloze deletion; mark the hidden part as {{c1::answer}}")
    reported: set[str] = set()
    for d in found:
        if d.number < 1:
            issue = f"cloze number c{d.number} must be 1 or more"
        elif d.number > MAX_NUMBER:
            issue = f"cloze numbers go up to c{MAX_NUMBER}; renumber this deletion"
        elif not d.answer.strip():
            issue = f"cloze c{d.number} has an empty answer"
        else:
            continue
        if issue not in reported:  # a thousand bad deletions are one message each kind
            reported.add(issue)
            issues.append(issue)
    return issues


def number_gaps(text: str) -> list[int]:
    """Cloze numbers missing between 1 and the highest one used (worth a warning)."""
    used = {n for n in numbers(text) if n <= MAX_NUMBER}
    return [n for n in range(1, max(used, default=0) + 1) if n not in used]


def render_prompts(text: str) -> dict[int, str]:
    """The question side of every card of the text, by number.

    Splits the text once into plain runs and deletions, so that a note with many
    numbers costs the sum of its prompts' lengths, without a regex pass for each.
    """
    found = deletions(text)
    parts: list[str | Deletion] = []
    at = 0
    for d in found:
        parts.append(text[at : d.start])
        parts.append(d)
        at = d.end
    parts.append(text[at:])
    prompts: dict[int, str] = {}
    for number in sorted({d.number for d in found}):
        prompts[number] = "".join(p if isinstance(p, str) else _shown(p, number) for p in parts)
    return prompts


def _shown(d: Deletion, number: int) -> str:
    if d.number != number:
        return d.answer
    return f"[{d.hint}]" if d.hint else BLANK


def render_prompt(text: str, number: int) -> str:
    """The question side of card ``number``: its deletions blanked, the others shown."""

    def blank(m: re.Match[str]) -> str:
        if int(m.group(1)) != number:
            return m.group(2)
        hint = m.group(3)
        return f"[{hint}]" if hint else BLANK

    return _DELETION.sub(blank, text)


def render_full(text: str) -> str:
    """The text with every deletion filled in."""
    return _DELETION.sub(lambda m: m.group(2), text)


def answers(text: str, number: int) -> list[str]:
    """The hidden answers of card ``number``, in order."""
    return [d.answer for d in deletions(text) if d.number == number]
