"""`quiz build` and `quiz coverage`: from an instructor's facts file to a deck, and what it misses.

`quiz build FACTS.yaml` writes the deck the facts file describes (see
quiz.decks.generate for the format). The output is byte-stable, so CI can run
`quiz build FACTS.yaml --check` to catch a committed deck that is out of date.
`quiz coverage FACTS.yaml --source FILE...` lists the passages of the source
documents no fact quotes, the quotes found in no source, facts without cards,
and notes without a fact.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from quiz.cli import fail, print_diagnostics
from quiz.files import InputFileError, read_bounded, read_deck

MAX_SOURCE_BYTES = 10 * 1024 * 1024
"""Largest source document `quiz coverage` reads."""


def read_source(path: Path) -> bytes:
    """A source document's bytes, bounded like a deck file."""
    return read_bounded(path, MAX_SOURCE_BYTES, "source document", "split it into parts")

if TYPE_CHECKING:
    from quiz.decks.generate import BuildModel
    from quiz.domain.notes import Deck


@click.command("build")
@click.argument("facts_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Deck file to write [default: the facts file's `build.output`, else standard output].",
)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Write nothing; exit 1 if the deck file is missing or differs from what would be built.",
)
def build(facts_file: Path, output: Path | None, check_only: bool) -> None:
    """Build a deck from a facts file (and the notes files it names).

    Errors are printed as FILE:LINE:COLUMN: error: ..., like `quiz check`, and
    nothing is written. The same inputs always give the same bytes.
    """
    from quiz.commands.authoring import schema_reference
    from quiz.decks.build import build as build_deck
    from quiz.decks.build import read_facts
    from quiz.decks.diagnostics import DeckError

    try:
        try:
            settings: BuildModel | None = read_facts(facts_file).facts.build
        except DeckError:
            settings = None  # build_deck below reports every problem of every file
        target = output
        if target is None and settings is not None and settings.output is not None:
            target = _joined(facts_file.parent, settings.output)
        folder = target.absolute().parent if target is not None else Path.cwd()
        pinned = settings.schema_ if settings is not None else None
        built = build_deck(facts_file, target, pinned or schema_reference(folder))
    except DeckError as exc:
        print_diagnostics(exc.diagnostics)
        fail(f"{facts_file}: no deck built; fix the error(s) above")
    if built.output is None:
        if check_only:
            fail("--check needs a deck file: give -o or set `build.output` in the facts file")
        click.echo(built.text, nl=False)
        return
    data = built.text.encode("utf-8")
    try:
        current = read_deck(built.output) if built.output.exists() else None
    except InputFileError as exc:
        fail(str(exc))
    if check_only:
        if current != data:
            state = "missing" if current is None else "stale"
            fail(f"{built.output} is {state}; run `quiz build {facts_file}`")
        click.echo(f"{built.output} is up to date")
        return
    if current == data:
        click.echo(f"{built.output} unchanged")
        return
    try:
        built.output.write_bytes(data)
    except OSError as exc:
        fail(f"cannot write {built.output}: {exc.strerror or exc}")
    click.echo(f"wrote {built.output}")


@click.command("coverage")
@click.argument("facts_file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument(
    "more_sources", nargs=-1, metavar="[FILE]...", type=click.Path(dir_okay=False, path_type=Path)
)
@click.option(
    "--source",
    "sources",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A source document (text) the facts are taken from; more may follow (--source a b).",
)
@click.option(
    "--left-out", "show_left_out", is_flag=True, help="Also list the passages left out on purpose."
)
def coverage(
    facts_file: Path,
    more_sources: tuple[Path, ...],
    sources: tuple[Path, ...],
    show_left_out: bool,
) -> None:
    """List what a facts file does not yet cover; exit 1 if anything is listed.

    With --source: the passages of each source document that no fact's `quote`
    (and no `left_out` entry) covers, and the quotes found in no source. Always:
    facts that yield no card and notes that cite no fact, in the deck the facts
    file builds.
    """
    from quiz.decks.build import build as build_deck
    from quiz.decks.build import read_facts
    from quiz.decks.coverage import coverage as fact_coverage
    from quiz.decks.diagnostics import DeckError
    from quiz.decks.loader import format_path, load_deck_bytes
    from quiz.decks.source_coverage import uncovered

    sources = (*sources, *more_sources)

    try:
        read = read_facts(facts_file)
        built = build_deck(facts_file, None, "deck.schema.json")
        deck = load_deck_bytes(built.text.encode("utf-8"), "<generated deck>").deck
    except DeckError as exc:
        print_diagnostics(exc.diagnostics)
        fail(f"{facts_file}: fix the error(s) above first")
    facts = read.facts
    quotes: list[tuple[str, str]] = []  # (where, quote)
    for i, fact in enumerate(facts.facts):
        if fact.source.quote is not None:
            key: tuple[str | int, ...] = ("facts", i, "source", "quote")
            line = read.located.mark_for(key).line
            quotes.append(
                (f"{facts_file}:{line}: {format_path(key, read.located)}", fact.source.quote)
            )
    for i, left in enumerate(facts.left_out):
        line = read.located.mark_for(("left_out", i, "quote")).line
        quotes.append((f"{facts_file}:{line}: left_out[{i}].quote", left.quote))

    problems = 0
    matched: set[int] = set()
    if sources:
        passages = []
        for source in sources:
            try:
                text = read_source(source).decode("utf-8")
            except InputFileError as exc:
                fail(str(exc))
            except UnicodeDecodeError:
                fail(f"{source}: not UTF-8; save the source as UTF-8 text")
            found, hit = uncovered(str(source), text, [q for _, q in quotes])
            passages.extend(found)
            matched |= hit
        click.echo(f"Source passages no fact covers ({len(passages)}):")
        for passage in passages:
            click.echo(f"  {passage}")
        missing = [where for k, (where, _) in enumerate(quotes) if k not in matched]
        click.echo(f"Quotes found in no source ({len(missing)}):")
        for where in missing:
            click.echo(f"  {where}")
        problems += len(passages) + len(missing)
        if show_left_out:
            click.echo(f"Left out on purpose ({len(facts.left_out)}):")
            for left in facts.left_out:
                click.echo(f"  [{left.source}] {left.quote!r}: {left.why}")
    report = fact_coverage([f.id for f in facts.facts], deck)
    click.echo(f"Facts without a card ({len(report.facts_without_cards)}):")
    for fact_id in report.facts_without_cards:
        click.echo(f"  {fact_id}")
    click.echo(f"Notes without a fact or source ({len(report.unlinked_notes)}):")
    for note in report.unlinked_notes:
        click.echo(f"  {note}")
    problems += len(report.facts_without_cards) + len(report.unlinked_notes)
    _print_counts(deck, facts.tag_root)
    click.echo(
        f"{len(facts.facts)} facts, {len(deck.notes)} notes, {deck.card_count()} cards; "
        f"{len(facts.left_out)} passage(s) left out on purpose",
        err=True,
    )
    sys.exit(1 if problems else 0)


def _joined(folder: Path, relative: str) -> Path:
    # "decks/facts/../x.yaml" reads better as "decks/x.yaml" in messages.
    import os

    return Path(os.path.normpath(folder / relative))


def _print_counts(deck: Deck, tag_root: str) -> None:
    """Cards by note type and by topic, what a reviewer wants to see next to the coverage.

    A note counts under its first topic tag (``<root>::<topic>``) that is not
    ``<root>::vignettes``, so every card is counted once.
    """
    from collections import Counter

    by_type: Counter[str] = Counter()
    by_topic: Counter[str] = Counter()
    for note in deck.notes:
        cards = len(note.card_ords())
        by_type[str(note.type)] += cards
        topics = [
            "::".join(t.split("::")[:2])
            for t in note.tags
            if t.startswith(f"{tag_root}::") and t != f"{tag_root}::vignettes"
        ]
        if not topics:  # a note tagged only as a vignette counts under that tag
            topics = ["::".join(t.split("::")[:2]) for t in note.tags] or ["(no tags)"]
        by_topic[topics[0]] += cards
    click.echo("Cards by type: " + ", ".join(f"{t} {n}" for t, n in sorted(by_type.items())))
    click.echo("Cards by topic:")
    for topic, n in sorted(by_topic.items(), key=lambda item: (-item[1], item[0])):
        click.echo(f"  {n:4d}  {topic}")
