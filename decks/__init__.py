"""The decks that ship with quiz (installed as the quiz.bundled package)."""
