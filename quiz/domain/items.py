"""Classical test theory item analysis: difficulty, discrimination, distractors and flags.

Each learner's first attempt at each card is one response (later answers are
practice, shaped by the feedback of the first). For a card answered by ``n``
learners:

- difficulty ``p`` is the share of correct first attempts;
- the point-biserial ``r_pb`` is the Pearson correlation between the item score
  (1 correct, 0 not) and the learner's rest-score, the share correct of their
  first attempts at the *other* cards (the item is left out so that it does not
  correlate with itself, and shares rather than sums because learners of a
  spaced-repetition deck have not all met the same cards);
- the upper-lower index ``D`` is ``p`` in the upper 27% of those learners by
  rest-score minus ``p`` in the lower 27% (Kelley's groups);
- for a multiple-choice card, each option's choices overall and in both groups.

References: Crocker & Algina, *Introduction to Classical and Modern Test Theory*
(1986), ch. 14; Ebel & Frisbie, *Essentials of Educational Measurement* (1991);
Haladyna & Downing (1993) on non-functioning distractors.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

GROUP_SHARE = 0.27
"""Kelley's upper and lower groups: 27% of the learners at each end."""

MIN_FLAG_N = 10
"""Below this many first attempts no statistical flag is raised: the standard error of a
correlation, about 1/sqrt(n), is then over 0.3, so any reading could be noise."""

SMALL_N = 30
"""Below this many first attempts an item carries a small-n caveat (standard error over 0.18)."""

NEAR_ZERO = 0.10
"""Discrimination under this (and not negative) is flagged as near zero."""

TOO_EASY = 0.95
TOO_HARD = 0.20

DEAD_SHARE = 0.05
"""A distractor chosen by fewer than this share of first attempts does no work (Haladyna &
Downing); with fewer than 20 attempts that means chosen by nobody."""


class Issue(IntEnum):
    """What can be wrong with an item, worst first (the value orders the report)."""

    MISKEY = 0
    NEGATIVE = 1
    STUDENT_FLAG = 2
    NEAR_ZERO = 3
    TOO_HARD = 4
    TOO_EASY = 5
    DEAD_DISTRACTOR = 6


@dataclass(frozen=True, slots=True)
class Finding:
    issue: Issue
    text: str


@dataclass(frozen=True, slots=True)
class Response:
    """One learner's first attempt at one item."""

    learner: int
    item: int
    correct: bool
    option: str | None = None
    """The chosen option's identity (multiple choice), if one was picked."""


@dataclass(frozen=True, slots=True)
class Choice:
    """How often one option was chosen: by everyone, by the upper and by the lower group."""

    option: str
    """The option's identity; ``""`` for the answers revealed without a pick."""

    label: str
    """The option's letter in the deck's order (``a``...), or ``-`` when not in the deck."""

    text: str
    key: bool
    all: int
    upper: int
    lower: int


@dataclass(frozen=True, slots=True)
class ItemStats:
    n: int
    """First attempts."""

    correct: int
    p: float | None
    r_pb: float | None
    """Point-biserial against the rest-score; None when either has no variance."""

    d: float | None
    """Upper minus lower group's p; None with fewer than two learners with a rest-score."""

    group_size: int
    """Learners in each of the upper and lower groups."""

    choices: tuple[Choice, ...] = ()
    findings: tuple[Finding, ...] = field(default=())

    @property
    def caveat(self) -> str | None:
        if self.n < MIN_FLAG_N:
            return f"n={self.n} < {MIN_FLAG_N}: too few to judge"
        if self.n < SMALL_N:
            return f"n={self.n} < {SMALL_N}: small sample, read with care"
        return None

    @property
    def worst(self) -> int:
        return min((f.issue for f in self.findings), default=len(Issue))


@dataclass(frozen=True, slots=True)
class OptionInfo:
    id: str
    text: str
    key: bool


def analyse(
    responses: Iterable[Response],
    options: Mapping[int, Sequence[OptionInfo]] | None = None,
) -> dict[int, ItemStats]:
    """Item statistics for every item with at least one response.

    Args:
        responses: First attempts, at most one per learner and item.
        options: The options of each multiple-choice item in the deck's order.
    """
    options = options or {}
    by_item: dict[int, list[Response]] = {}
    totals: dict[int, list[int]] = {}
    for r in responses:
        by_item.setdefault(r.item, []).append(r)
        total = totals.setdefault(r.learner, [0, 0])
        total[0] += r.correct
        total[1] += 1
    return {item: _item(found, totals, options.get(item, ())) for item, found in by_item.items()}


def _rest(r: Response, totals: Mapping[int, list[int]]) -> float | None:
    right, count = totals[r.learner]
    if count < 2:
        return None
    return (right - r.correct) / (count - 1)


def _item(
    found: list[Response], totals: Mapping[int, list[int]], options: Sequence[OptionInfo]
) -> ItemStats:
    n = len(found)
    correct = sum(r.correct for r in found)
    p = correct / n if n else None
    scored = [(r, rest) for r in found if (rest := _rest(r, totals)) is not None]
    r_pb = _pearson([float(r.correct) for r, _ in scored], [rest for _, rest in scored])
    # Highest rest-scores first; ties by learner id, so the groups are reproducible.
    ranked = [r for r, _ in sorted(scored, key=lambda pair: (-pair[1], pair[0].learner))]
    k = max(1, round(GROUP_SHARE * len(ranked))) if len(ranked) >= 2 else 0
    k = min(k, len(ranked) // 2)
    upper, lower = ranked[:k], ranked[len(ranked) - k :] if k else []
    d = (sum(r.correct for r in upper) - sum(r.correct for r in lower)) / k if k else None
    choices = _choices(found, upper, lower, options) if options else ()
    stats = ItemStats(n, correct, p, r_pb, d, k, choices)
    return ItemStats(n, correct, p, r_pb, d, k, choices, tuple(_findings(stats)))


def _pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def _choices(
    found: list[Response],
    upper: list[Response],
    lower: list[Response],
    options: Sequence[OptionInfo],
) -> tuple[Choice, ...]:
    def count(group: list[Response], option: str) -> int:
        return sum(1 for r in group if (r.option or "") == option)

    letters = "abcdefghijklmnopqrstuvwxyz"
    rows = [
        Choice(o.id, letters[i], o.text, o.key, count(found, o.id), count(upper, o.id),
               count(lower, o.id))
        for i, o in enumerate(options)
    ]  # fmt: skip
    known = {o.id for o in options}
    # Picks of options the deck no longer has (reworded without an id), then no pick at all.
    for option in sorted({r.option for r in found if r.option and r.option not in known}):
        text = "(an option no longer in the deck)"
        rows.append(
            Choice(option, "-", text, False, count(found, option), count(upper, option),
                   count(lower, option))
        )  # fmt: skip
    if any(r.option is None for r in found):
        rows.append(
            Choice("", "-", "(answer shown without a pick)", False, count(found, ""),
                   count(upper, ""), count(lower, ""))
        )  # fmt: skip
    return tuple(rows)


def _findings(s: ItemStats) -> list[Finding]:
    if s.n < MIN_FLAG_N or s.p is None:
        return []
    out: list[Finding] = []
    index = s.r_pb if s.r_pb is not None else s.d
    key = next((c for c in s.choices if c.key), None)
    picked = sum(c.all for c in s.choices if c.option)
    if key is not None and s.group_size:
        rivals = [
            c for c in s.choices
            if c.option and not c.key and c.upper > key.upper and c.upper > c.lower
        ]  # fmt: skip
        for c in rivals:
            out.append(
                Finding(
                    Issue.MISKEY,
                    f"likely miskey: {c.label} ({c.text[:30]}) drew {c.upper} of the upper "
                    f"group, the key {key.label} {key.upper}",
                )
            )
    if index is not None and index < 0:
        out.append(Finding(Issue.NEGATIVE, f"negative discrimination ({index:+.2f})"))
    elif index is not None and index < NEAR_ZERO:
        out.append(Finding(Issue.NEAR_ZERO, f"near-zero discrimination ({index:+.2f})"))
    if s.p < TOO_HARD:
        out.append(Finding(Issue.TOO_HARD, f"too hard (p={s.p:.2f} < {TOO_HARD:.2f})"))
    elif s.p > TOO_EASY:
        out.append(Finding(Issue.TOO_EASY, f"too easy (p={s.p:.2f} > {TOO_EASY:.2f})"))
    if picked:
        dead = [
            c.label for c in s.choices
            if c.option and not c.key and c.label != "-" and c.all < DEAD_SHARE * picked
        ]  # fmt: skip
        if dead:
            out.append(Finding(Issue.DEAD_DISTRACTOR, f"dead distractor(s): {', '.join(dead)}"))
    return out
