"""Import a validated deck: read the deck's snapshot, plan every card, apply the plan.

The plan (quiz.domain.plan) is computed before anything is written; a dry run returns
it, a real import hands the very same plan to the store, which applies it in the
caller's transaction, so a deck imports completely or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from quiz.decks.diagnostics import DeckError, Diagnostic, Severity
from quiz.domain.plan import ImportPlan, Problem, content_hash, plan_import, unchanged_plan
from quiz.store.deck_import import (
    apply_plan,
    deck_title,
    live_cards,
    lock_deck_key,
    read_snapshot,
)

if TYPE_CHECKING:  # the loader (YAML, pydantic) is not needed to apply an import
    from quiz.decks.loader import LoadedDeck

PlanHook = Callable[[ImportPlan], None]
"""Called with each plan before it is applied (to print its warnings first)."""


def import_deck(
    conn: Connection,
    loaded: LoadedDeck,
    now: datetime,
    *,
    source_path: str | None = None,
    dry_run: bool = False,
    on_plan: PlanHook | None = None,
) -> ImportPlan:
    """Plan and (unless dry_run) apply an import inside the caller's transaction.

    Raises:
        DeckError: If a `from:` names a card the deck never had; nothing is written.
    """
    deck = loaded.deck
    if not dry_run:
        lock_deck_key(conn, deck.id)  # before reading: a concurrent import goes first
    hashes = {n.id: content_hash(n) for n in deck.notes}
    snapshot = read_snapshot(conn, deck.id, {n.id: (hashes[n.id], n) for n in deck.notes})
    plan = plan_import(snapshot, deck, hashes)
    if plan.errors:
        raise DeckError([problem_diagnostic(loaded.path, p) for p in plan.errors])
    if on_plan is not None:
        on_plan(plan)
    if not dry_run:
        apply_plan(
            conn,
            loaded.deck,
            plan,
            snapshot,
            now,
            sha256=loaded.sha256,
            source_path=source_path,
        )
    return plan


def problem_diagnostic(
    file: str, problem: Problem, severity: Severity = Severity.ERROR
) -> Diagnostic:
    """A plan's problem as a diagnostic on its note's line of the deck file."""
    return Diagnostic(
        file, problem.line or 1, 1, severity, f"notes({problem.note})", problem.message
    )


def unchanged_report(conn: Connection, deck_key: str) -> ImportPlan:
    """The plan of re-importing, unchanged, the very file a deck was last imported from.

    Every live card is unchanged and nothing is written: what ``import_deck`` would plan,
    read from the database without parsing the file again.
    """
    return unchanged_plan(deck_key, deck_title(conn, deck_key), live_cards(conn, deck_key))
