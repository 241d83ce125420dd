"""`quiz export anki`: write decks (imported ones by id, or deck files) as an Anki text file."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from quiz.cli import Options, fail, print_diagnostics

if TYPE_CHECKING:
    from quiz.domain.notes import Deck
    from quiz.export.anki_csv import ExportSummary


@click.group()
def export() -> None:
    """Export decks to other programs."""


@export.command()
@click.argument("decks", nargs=-1, required=True, metavar="DECK...")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The file to write ('-' for standard output).",
)
@click.option(
    "--tags",
    "tags",
    multiple=True,
    metavar="TAG",
    help="Only notes with this tag or one below it; repeat for several.",
)
@click.option(
    "--separator",
    type=click.Choice(["tab", "comma"]),
    default="tab",
    show_default=True,
    help="Column separator.",
)
@click.pass_obj
def anki(
    opts: Options, decks: tuple[str, ...], output: Path, tags: tuple[str, ...], separator: str
) -> None:
    """Write DECKs as an Anki text file for File > Import in Anki.

    Each DECK is the id of an imported deck (see `quiz decks`) or a deck file.
    Importing the file again after the deck changed updates the notes in
    Anki instead of duplicating them, keeping Anki's scheduling.
    """
    with _cycle_collector_paused():
        chosen = _read_decks(opts, decks)
        summary = _write(chosen, output, separator, tags)
    if summary.notes == 0:
        fail("no notes matched; Anki refuses an empty file" + (" (check --tags)" if tags else ""))
    click.echo(
        f"wrote {summary.notes} notes ({summary.cards} cards) in {len(summary.decks)} deck(s)"
        + ("" if str(output) == "-" else f" to {output}"),
        err=True,
    )


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector for the export.

    An export holds a few objects per note (50k notes: some 500k), none in a
    reference cycle, so reference counting frees them all; but each time the
    collector runs as they are made, it walks every one of them again, which
    cost about a third of the export's time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read_decks(opts: Options, decks: tuple[str, ...]) -> list[Deck]:
    """The decks named, in the order given: deck files, then imported decks by id."""
    from quiz.decks.diagnostics import DeckError
    from quiz.services.decks import load_all
    from quiz.services.export import decks_from_db

    files = [d for d in decks if Path(d).suffix in {".yaml", ".yml"} or Path(d).is_file()]
    try:
        loaded = {item.path: item.deck for item in load_all([Path(f) for f in files])}
    except DeckError as exc:
        print_diagnostics(exc.diagnostics)
        fail("nothing exported")
    ids = [d for d in decks if d not in files]
    from_db: dict[str, Deck] = {}
    if ids:
        with opts.open() as quiz:
            from_db = decks_from_db(quiz, ids)
        for key in ids:
            if key not in from_db:
                fail(f"no deck {key!r}: give a deck file or an id that `quiz decks` lists")
    return [loaded[d] if d in loaded else from_db[d] for d in decks]


def _write(
    chosen: list[Deck], output: Path, separator: str, tags: tuple[str, ...]
) -> ExportSummary:
    from quiz.export.anki_csv import write_anki_csv

    try:
        if str(output) == "-":
            return write_anki_csv(chosen, sys.stdout, separator=separator, tags=tags)  # type: ignore[arg-type]
        with output.open("w", encoding="utf-8", newline="") as fh:
            return write_anki_csv(chosen, fh, separator=separator, tags=tags)  # type: ignore[arg-type]
    except ValueError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
