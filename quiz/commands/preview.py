"""`quiz preview`: browse a deck file's cards as a student will see them, touching no progress."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from quiz.cli import fail, print_diagnostics


@click.command()
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--note", "note_id", metavar="ID", help="Only the cards of this note.")
def preview(path: Path, note_id: str | None) -> None:
    """Browse every card of a deck file: front, back, each cloze, MCQ feedback.

    Nothing is imported and no progress changes. Keys: space flips, right/left
    (or n/p) move, a/b/c... answer a multiple-choice card, i shows details, q quits.
    """
    from quiz.decks.diagnostics import DeckError
    from quiz.decks.loader import load_deck

    try:
        deck = load_deck(path).deck
    except DeckError as exc:
        print_diagnostics(exc.diagnostics)
        fail(f"cannot preview {path}")
    from quiz.tui.preview import PreviewApp, deck_cards

    # Shuffled as on today's calendar day: the order an author checks is one students get.
    cards = deck_cards(deck, note_id, day=date.today())
    if not cards:
        fail(f"no note with id {note_id!r} in {path}" if note_id else f"{path} has no cards")
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        fail("preview needs an interactive terminal")
    PreviewApp(cards).run()
