"""An import plan in words: the totals line, the warnings and one line per card that changes.

`quiz import`, `import --dry-run` and `quiz diff` print plans through these functions,
so the three say the same thing about the same plan.
"""

from __future__ import annotations

from quiz.domain.moves import card_name
from quiz.domain.plan import CardPlan, ImportPlan, NoteChange, NotePlan, Outcome
from quiz.domain.text import clean

_ORDER = (
    NoteChange.ADDED,
    NoteChange.EDITED,
    NoteChange.RESET,
    NoteChange.MOVED,
    NoteChange.UNCHANGED,
    NoteChange.RETIRED,
    NoteChange.RESTORED,
)


def summary(plan: ImportPlan) -> str:
    """Notes per change (each note counted once), then cards in and out of review."""
    counts = ", ".join(f"{plan.count(c)} {c}" for c in _ORDER)
    moved = plan.card_count(Outcome.MOVED)
    return (
        f"{counts}; cards +{plan.cards_added} -{plan.cards_retired}"
        + (f", {moved} moved" if moved else "")
        + (f"; {len(plan.warnings)} warning(s)" if plan.warnings else "")
    )


def warning_lines(plan: ImportPlan) -> list[str]:
    return [f"warning: {clean(w.message)}" for w in plan.warnings]


def plan_lines(plan: ImportPlan, *, learners: bool) -> list[str]:
    """One line per note that changes, and under it one line per card of that note.

    With ``learners``, each card line says how many learners' progress it touches.
    """
    out = []
    for n in plan.changed:
        out.append(_note_line(n))
        if n.change is NoteChange.ADDED and not any(c.source for c in n.cards):
            continue
        for c in n.cards:
            out.append(f"      {c.name:<9} {_card_words(c, learners)}")
    return out


def _note_line(n: NotePlan) -> str:
    details: list[str] = list(n.edits)
    if n.change is NoteChange.ADDED:
        details.insert(0, _cards([c.ord for c in n.cards], n.new_type))
    elif n.change is NoteChange.RETIRED:
        verb = "leaves" if len(n.cards) == 1 else "leave"
        details.append(f"{_cards([c.ord for c in n.cards], n.old_type)} {verb} review")
    label = str(n.change)
    return f"  {label:<9} {n.key}" + (f"  ({'; '.join(details)})" if details else "")


def _cards(ords: list[int], kind: object) -> str:
    from quiz.domain.notes import NoteType

    names = [card_name(o, kind if isinstance(kind, NoteType) else None) for o in sorted(ords)]
    if names == ["card"]:
        return "1 card"
    return f"{len(names)} card{'s' if len(names) > 1 else ''} ({', '.join(names)})"


def _who(n: int) -> str:
    return f"{n} learner(s)"


def _card_words(c: CardPlan, learners: bool) -> str:
    words = ("restored, " if c.restored else "") + _outcome_words(c)
    if not learners:
        return words
    n = c.learners
    if c.outcome is Outcome.UNCHANGED and n:
        return f"{words}; progress kept for {_who(n)}"
    if c.outcome is Outcome.EDITED and n:
        return f"{words}; {_who(n)} keep their progress on the reworded card"
    if c.outcome is Outcome.ANSWER_CHANGED and n:
        return f"{words}; progress of {_who(n)} stays on it (see the warning)"
    if c.outcome is Outcome.MOVED and not n:
        return f"{words}; nobody has progress on it yet"
    if c.outcome is Outcome.MOVED:
        extra = f"; replaces the progress of {_who(c.replaces)}" if c.replaces else ""
        return f"{words}; progress of {_who(n)} moves with it{extra}"
    if c.outcome is Outcome.RETIRED and n:
        return f"{words}; {_who(n)} had progress"
    if c.outcome is Outcome.RESET and n:
        if c.moved_to is not None:
            return f"starts new; progress of {_who(n)} moves to {c.moved_to}"
        return f"{words} for {_who(n)}"
    return words


def _outcome_words(c: CardPlan) -> str:
    if c.outcome is Outcome.ANSWER_CHANGED:
        before = "?" if c.old_answer is None else repr(clean(c.old_answer))
        return f"answer changed: {before} -> {clean(c.new_answer or '')!r}"
    if c.outcome is Outcome.MOVED and c.source is not None:
        return f"moved from {c.source_name}"
    if c.outcome is Outcome.RETIRED:
        if c.moved_to is not None:
            return f"retired; progress and history moved to {c.moved_to}"
        return "retired; history kept"
    if c.outcome is Outcome.RESET and c.moved_to is not None:
        return f"starts new; its progress moves to {c.moved_to}"
    return str(c.outcome)
