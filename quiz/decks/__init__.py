"""Deck files: YAML in, validated domain notes out, with every problem located by file and line."""

from quiz.decks.diagnostics import DeckError, Diagnostic, Severity
from quiz.decks.loader import LoadedDeck, check_deck, load_deck

__all__ = ["DeckError", "Diagnostic", "LoadedDeck", "Severity", "check_deck", "load_deck"]
