"""Exports of decks to other programs' formats (Anki's text import)."""
