"""Deck use cases: find deck files, import them (all or nothing), keep bundled decks current."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

from sqlalchemy import select

from quiz.decks.diagnostics import DeckError, Diagnostic, Severity
from quiz.decks.loader import LoadedDeck, load_deck
from quiz.domain.notes import Deck, Source
from quiz.services.context import Quiz
from quiz.services.importer import ImportReport, import_deck
from quiz.store.queries import note_from_row
from quiz.store.tables import decks, notes

DECK_SUFFIXES = (".yaml", ".yml")


def expand_paths(paths: list[str | Path]) -> list[Path]:
    """Deck files named directly, plus the deck files at the top of any directory named.

    Sub-directories are not searched, so a deck folder can keep other YAML
    (such as the facts a deck is generated from) below it.
    """
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(
                sorted(f for f in p.iterdir() if f.suffix in DECK_SUFFIXES and f.is_file())
            )
        else:
            found.append(p)
    return found


def load_all(paths: list[Path]) -> list[LoadedDeck]:
    """Load every file, collecting every error from every file before giving up.

    Raises:
        DeckError: With all errors of all files, if any file is unusable or two files
            share a deck id.
    """
    loaded: list[LoadedDeck] = []
    errors: list[Diagnostic] = []
    for path in paths:
        try:
            loaded.append(load_deck(path))
        except DeckError as exc:
            errors.extend(exc.diagnostics)
    owners: dict[str, str] = {}
    for item in loaded:
        if item.deck.id in owners:
            errors.append(
                Diagnostic(
                    item.path,
                    1,
                    1,
                    Severity.ERROR,
                    "deck.id",
                    f"deck id {item.deck.id!r} is also used by {owners[item.deck.id]}",
                )
            )
        owners.setdefault(item.deck.id, item.path)
    if errors:
        raise DeckError(errors)
    return loaded


def import_files(
    quiz: Quiz, paths: list[str | Path], *, dry_run: bool = False
) -> list[ImportReport]:
    """Validate every file, then import each deck in its own transaction.

    Raises:
        DeckError: If any file is invalid; then nothing is imported.
    """
    loaded = load_all(expand_paths(paths))
    reports = []
    for item in loaded:
        with quiz.store.write() as conn:
            reports.append(
                import_deck(
                    conn,
                    item,
                    quiz.now(),
                    source_path=str(Path(item.path).resolve()),
                    dry_run=dry_run,
                )
            )
    return reports


def bundled_paths() -> list[Path]:
    """The decks that ship inside the package."""
    root = resources.files("quiz.bundled")
    return sorted(
        Path(str(f)) for f in root.iterdir() if f.name.endswith(DECK_SUFFIXES) and f.is_file()
    )


def sync_bundled(quiz: Quiz) -> list[ImportReport]:
    """Import bundled decks that are missing or changed since they were last imported.

    Only the file hash is compared on a normal start, so this costs a few
    milliseconds unless a new version of quiz brought a new deck.
    """
    with quiz.store.read() as conn:
        known_hashes = set(conn.execute(select(decks.c.file_sha256)).scalars())
    reports = []
    for path in bundled_paths():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in known_hashes:
            continue
        reports.extend(import_files(quiz, [path]))
    return reports


def deck_from_db(quiz: Quiz, key: str) -> Deck | None:
    """Rebuild an imported deck (live notes only) from the database."""
    with quiz.store.read() as conn:
        row = conn.execute(select(decks).where(decks.c.key == key)).first()
        if row is None:
            return None
        note_rows = conn.execute(
            select(notes)
            .where(notes.c.deck_id == row.id, notes.c.retired_at.is_(None))
            .order_by(notes.c.position)
        ).all()
    return Deck(
        id=row.key,
        title=row.title,
        description=row.description,
        version=row.version,
        sources=tuple(Source(s["id"], s.get("title", s["id"]), s.get("url")) for s in row.sources),
        tags=tuple(row.tags),
        notes=tuple(note_from_row(r) for r in note_rows),
    )
