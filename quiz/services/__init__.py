"""Use cases that own a transaction: open a collection, import decks, review, report."""

from quiz.services.context import Quiz, system_clock

__all__ = ["Quiz", "system_clock"]
