"""Deck files: YAML in, validated domain notes out, with every problem located by file and line.

The loader (and pydantic behind it) is imported on first use, not with the
package: the review app's start-up only needs ``quiz.decks.diagnostics``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quiz.decks.diagnostics import DeckError, Diagnostic, Severity

if TYPE_CHECKING:
    from quiz.decks.loader import LoadedDeck, check_deck, load_deck

__all__ = ["DeckError", "Diagnostic", "LoadedDeck", "Severity", "check_deck", "load_deck"]

_LAZY = {"LoadedDeck", "check_deck", "load_deck"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from quiz.decks import loader

        return getattr(loader, name)
    raise AttributeError(f"module 'quiz.decks' has no attribute {name!r}")
