"""Deck use cases: find deck files, import them (all or nothing), keep bundled decks current."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from quiz.decks.diagnostics import DeckError, Diagnostic, Severity
from quiz.domain.notes import Deck
from quiz.files import InputFileError, read_deck
from quiz.services.context import Quiz
from quiz.store.tables import decks

if TYPE_CHECKING:
    from quiz.decks.loader import LoadedDeck
    from quiz.domain.plan import ImportPlan
    from quiz.services.importer import PlanHook

DECK_SUFFIXES = (".yaml", ".yml")


def expand_paths(paths: list[str | Path]) -> list[Path]:
    """Deck files named directly, plus the deck files at the top of any directory named.

    Sub-directories are not searched, so a deck folder can keep other YAML
    (such as the facts a deck is generated from) below it.
    """
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            # Anything named like a deck but a directory is listed too, so that a
            # symlink to a device or a FIFO is refused by the reader, not skipped silently.
            found.extend(
                sorted(f for f in p.iterdir() if f.suffix in DECK_SUFFIXES and not f.is_dir())
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
    # The loader (YAML, pydantic) is imported when a file is read, not on every start:
    # a normal start only compares the bundled decks' hashes.
    from quiz.decks.loader import load_deck

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
    quiz: Quiz,
    paths: list[str | Path],
    *,
    dry_run: bool = False,
    force: bool = False,
    on_plan: PlanHook | None = None,
) -> list[ImportPlan]:
    """Validate every file, then plan and import each deck in its own transaction.

    A dry run plans exactly as an import does and writes nothing; ``on_plan`` sees each
    plan before it is applied.

    A file that is byte for byte the one its deck was last imported from is not parsed
    again (unless ``force``): importing it would change nothing, and parsing is most of
    an import's time (seconds for a 10,000-note deck). Its report, every live note
    unchanged, comes from the database.

    Raises:
        DeckError: If any file is invalid; then nothing is imported.
    """
    files = expand_paths(paths)
    same = {} if force else _imported_unchanged(quiz, files)
    to_load = [f for f in files if f not in same]
    if not to_load:
        return _import_loaded(quiz, files, same, {}, dry_run, on_plan)
    from quiz.decks.loader import paused_gc

    # The loaded decks and the rows made from them are a few hundred thousand objects:
    # see `paused_gc` for why the collector waits until the import is done.
    with paused_gc():
        loaded = {item.path: item for item in load_all(to_load)}
        return _import_loaded(quiz, files, same, loaded, dry_run, on_plan)


def _import_loaded(
    quiz: Quiz,
    files: list[Path],
    same: dict[Path, tuple[int, str]],
    loaded: dict[str, LoadedDeck],
    dry_run: bool,
    on_plan: PlanHook | None,
) -> list[ImportPlan]:
    """Import each file in its own transaction: a plan from the database for the files
    in ``same``, a real import of the parsed ones."""
    from quiz.services.importer import import_deck, unchanged_report

    _check_unchanged_owners(files, same, loaded)
    reports = []
    for path in files:
        # A dry run only reads, so it needs no write lock.
        with quiz.store.read() if dry_run else quiz.store.write() as conn:
            if path in same:
                reports.append(unchanged_report(conn, same[path][1]))
                if on_plan is not None:
                    on_plan(reports[-1])
                if not dry_run:
                    conn.execute(
                        update(decks)
                        .where(decks.c.id == same[path][0])
                        .values(source_path=str(path.resolve()), imported_at=quiz.now())
                    )
                continue
            item = loaded[str(path)]
            reports.append(
                import_deck(
                    conn,
                    item,
                    quiz.now(),
                    source_path=str(Path(item.path).resolve()),
                    dry_run=dry_run,
                    on_plan=on_plan,
                )
            )
    return reports


def _imported_unchanged(quiz: Quiz, files: list[Path]) -> dict[Path, tuple[int, str]]:
    """Files whose bytes are those their deck was last imported from: path -> (id, key)."""
    digests: dict[Path, str] = {}
    for path in files:
        try:
            digests[path] = hashlib.sha256(read_deck(path)).hexdigest()
        except InputFileError:
            continue  # the loader reports it
    if not digests:
        return {}
    with quiz.store.read() as conn:
        known = {
            row.file_sha256: (int(row.id), str(row.key))
            for row in conn.execute(
                select(decks.c.id, decks.c.key, decks.c.file_sha256).where(
                    decks.c.file_sha256.in_(set(digests.values()))
                )
            )
        }
    return {path: known[d] for path, d in digests.items() if d in known}


def _check_unchanged_owners(
    files: list[Path], same: dict[Path, tuple[int, str]], loaded: dict[str, LoadedDeck]
) -> None:
    """Refuse two files for one deck id when one of them was not parsed (load_all checks
    the parsed ones against each other)."""
    owners: dict[str, str] = {}
    errors: list[Diagnostic] = []
    for path in files:
        key = same[path][1] if path in same else loaded[str(path)].deck.id
        if key in owners and (path in same or Path(owners[key]) in same):
            errors.append(
                Diagnostic(
                    str(path),
                    1,
                    1,
                    Severity.ERROR,
                    "deck.id",
                    f"deck id {key!r} is also used by {owners[key]}",
                )
            )
        owners.setdefault(key, str(path))
    if errors:
        raise DeckError(errors)


def bundled_paths() -> list[Path]:
    """The decks that ship inside the package."""
    root = resources.files("quiz.bundled")
    return sorted(
        Path(str(f)) for f in root.iterdir() if f.name.endswith(DECK_SUFFIXES) and f.is_file()
    )


def sync_bundled(quiz: Quiz) -> list[ImportPlan]:
    """Import bundled decks that are missing, or changed since quiz last imported them.

    A deck the learner or instructor imported from another file under the same
    id is theirs: the bundled copy never overwrites it. On a normal start only
    file hashes are compared, so this costs a few milliseconds.
    """
    with quiz.store.read() as conn:
        rows = conn.execute(select(decks.c.key, decks.c.source_path, decks.c.file_sha256)).all()
    by_key = {r.key: r for r in rows}
    reports = []
    for path in bundled_paths():
        digest = hashlib.sha256(read_deck(path)).hexdigest()
        if digest in {r.file_sha256 for r in rows}:
            continue
        # Only now: the loader, pydantic and the importer are a fifth of start-up, and
        # unneeded when nothing changed.
        from quiz.decks.loader import load_deck
        from quiz.services.importer import import_deck

        loaded = load_deck(path)
        current = by_key.get(loaded.deck.id)
        if current is not None and current.source_path != str(path.resolve()):
            continue
        with quiz.store.write() as conn:
            reports.append(import_deck(conn, loaded, quiz.now(), source_path=str(path.resolve())))
    return reports


def deck_from_db(quiz: Quiz, key: str) -> Deck | None:
    """Rebuild an imported deck (live notes only) from the database."""
    from quiz.services.export import decks_from_db

    return decks_from_db(quiz, [key]).get(key)
