"""Warnings about an import plan, with the fix, and the `from:` that would carry progress."""

from __future__ import annotations

from dataclasses import replace

from quiz.domain.moves import CardKey
from quiz.domain.notes import Deck
from quiz.domain.plan_model import (
    CardPlan,
    ImportPlan,
    NoteChange,
    NotePlan,
    Outcome,
    Problem,
    Snapshot,
)


def _norm(answer: str) -> str:
    return " ".join(answer.casefold().split())


def with_warnings(plan: ImportPlan, deck: Deck, snapshot: Snapshot) -> ImportPlan:
    """Warn, before anything happens, where progress would end up on other content or be left
    behind, and suggest the `from:` that carries it when the answer moved unambiguously."""
    # Cards whose progress stays behind on other content or on a retired card ...
    losing: dict[str, list[CardPlan]] = {}
    for c in plan.cards():
        if c.outcome is Outcome.ANSWER_CHANGED and c.old_answer is not None:
            losing.setdefault(_norm(c.old_answer), []).append(c)
        elif c.outcome is Outcome.RETIRED and c.moved_to is None:
            old = snapshot.notes[c.note]
            losing.setdefault(_norm(old.note.render(c.ord).answer), []).append(c)
    if not losing:
        return plan  # a first import, or only edits that keep every answer
    # ... and the cards that now ask for that answer without progress of their own.
    fresh: dict[str, list[CardPlan]] = {}
    notes_by_id = {n.id: n for n in deck.notes}
    for c in plan.cards():
        if c.outcome in (Outcome.NEW, Outcome.ANSWER_CHANGED) and c.moved_to is None:
            answer = notes_by_id[c.note].render(c.ord).answer
            fresh.setdefault(_norm(answer), []).append(c)
    suggestion: dict[CardKey, str] = {}
    per_note: dict[str, dict[str, str]] = {}
    for answer, olds in losing.items():
        news = fresh.get(answer, [])
        if len(olds) == 1 and len(news) == 1 and olds[0].key != news[0].key:
            src, dst = olds[0], news[0]
            if src.note == dst.note:
                ref = src.name
            else:
                ref = src.note if src.name == "card" else f"{src.note}:{src.name}"
            suggestion[src.key] = f"`from: {{{dst.name}: {ref}}}` to note {dst.note}"
            per_note.setdefault(dst.note, {})[dst.name] = ref
    warnings: list[Problem] = []
    for n in plan.notes:
        type_changed = None not in (n.old_type, n.new_type) and n.old_type != n.new_type
        for c in n.cards:
            if snapshot.counted and not c.learners:
                continue  # nobody's progress is at stake
            who = f"{c.learners} learner(s)' progress" if snapshot.counted else "progress"
            hint = suggestion.get(c.key)
            if c.outcome is Outcome.ANSWER_CHANGED:
                fix = (
                    f"add {hint} to move it"
                    if hint
                    else "`from:` on the card that now asks the old answer"
                )
                warnings.append(
                    Problem(
                        n.key,
                        n.line,
                        f"{n.key} {c.name}: answer changed from {_answer(c.old_answer)} to "
                        f"{c.new_answer!r}; {who} stays on a card that now asks something "
                        f"else. Fix: add `reset:` to the note to restart it, or {fix}",
                    )
                )
            elif c.outcome is Outcome.RETIRED and n.change is not NoteChange.RETIRED:
                why = f"type {n.old_type} -> {n.new_type}" if type_changed else "card removed"
                if hint is None and type_changed and n.new_type is not None:
                    hint = _type_change_hint(n, c)
                fix = (
                    f"Fix: add {hint} to carry it"
                    if hint
                    else "If its fact is now asked by another card, carry it with `from:` there"
                )
                warnings.append(
                    Problem(
                        n.key,
                        n.line,
                        f"{n.key} {c.name}: {why}; {who} stays on the retired card and does "
                        f"not follow. {fix}",
                    )
                )
            elif c.outcome is Outcome.RETIRED and hint:
                warnings.append(
                    Problem(
                        n.key,
                        n.line,
                        f"{n.key} {c.name}: retired, and its answer is now asked by another "
                        f"card; {who} does not follow. Fix: add {hint}",
                    )
                )
    for key, mapping in per_note.items():
        if len(mapping) > 1:  # one line an author can paste
            pairs = ", ".join(f"{t}: {r}" for t, r in sorted(mapping.items()))
            line = notes_by_id[key].line
            warnings.append(
                Problem(key, line, f"{key}: to carry all of it, add `from: {{{pairs}}}`")
            )
    return replace(plan, warnings=tuple(warnings))


def _answer(text: str | None) -> str:
    return "an answer quiz no longer knows" if text is None else repr(text)


def _type_change_hint(n: NotePlan, retired: CardPlan) -> str | None:
    new_cards = [c for c in n.cards if c.outcome is Outcome.NEW]
    if len(new_cards) == 1:
        return f"`from: {{{new_cards[0].name}: {retired.name}}}`"
    return None
