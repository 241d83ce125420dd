"""Reliability tests: crashes, concurrent sessions, migrations, hostile decks, fuzzing."""
