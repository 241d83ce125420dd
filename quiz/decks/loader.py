"""Load a deck file: read, parse safely, validate fully, and build domain notes.

Nothing here touches a database. A deck either loads completely or raises
DeckError carrying every error in the file, each with its line.
"""

from __future__ import annotations

import gc
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError

from quiz.decks.diagnostics import DeckError, Diagnostic, Severity
from quiz.decks.explain import (
    hidden_by_field_errors,
    raw_cross_checks,
    validation_diagnostics,
)
from quiz.decks.keypaths import diag, format_path
from quiz.decks.schema import ClozeNoteModel, DeckFileModel, McqNoteModel, NoteModel
from quiz.decks.yamlnodes import Located, Mark, Path, YamlProblem, parse
from quiz.domain import cloze
from quiz.domain.moves import shape_problems
from quiz.domain.notes import Deck, Note, NoteType, Source, SourceRef
from quiz.files import MAX_DECK_BYTES, InputFileError, read_deck

MAX_FILE_BYTES = MAX_DECK_BYTES
"""Largest deck file accepted (defined with the reader, `quiz.files`)."""


@dataclass(frozen=True, slots=True)
class LoadedDeck:
    """A valid deck, the warnings found while loading it, and a hash of its file."""

    deck: Deck
    path: str
    sha256: str
    warnings: tuple[Diagnostic, ...] = ()
    located: Located | None = field(default=None, compare=False, repr=False)
    """The parsed file with the position of every key, for lint warnings with lines."""


def load_deck(path: str | FsPath, display_name: str | None = None) -> LoadedDeck:
    """Load and validate one deck file.

    Args:
        path: The YAML file.
        display_name: How to name the file in messages (defaults to the path given).

    Raises:
        DeckError: With every error found, if the file cannot be used.
    """
    name = display_name or str(path)
    try:
        data = read_deck(FsPath(path))
    except InputFileError as exc:
        raise DeckError([diag(name, Mark(1, 1), "", exc.message)]) from None
    return load_deck_bytes(data, name)


class _GcPause:
    """Holds the cyclic garbage collector off while any thread is inside ``paused()``.

    Loading a deck allocates hundreds of thousands of small containers, none of them
    cyclic, and each allocation burst makes the collector walk every object the process
    holds: with it on, a 10,000-note deck takes twice as long to load and to write.
    Reference counting still frees everything as usual; the collector runs again (and
    finds any cycle made meanwhile) once the last pause ends. A count, not a flag, so
    that nested and concurrent pauses restore the state found by the first one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._was_enabled = False

    @contextmanager
    def paused(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._was_enabled:
                    gc.enable()


paused_gc = _GcPause().paused
"""Context manager: no cyclic garbage collection inside (see `_GcPause`)."""


def load_deck_bytes(data: bytes, name: str) -> LoadedDeck:
    """Load and validate a deck from the bytes of a file named ``name``.

    Raises:
        DeckError: With every error found, if the bytes are not a usable deck.
    """
    with paused_gc():
        return _load_deck_bytes(data, name)


def _load_deck_bytes(data: bytes, name: str) -> LoadedDeck:
    if len(data) > MAX_FILE_BYTES:
        raise DeckError([diag(name, Mark(1, 1), "", "file is too large to be a deck")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DeckError(
            [
                diag(
                    name,
                    Mark(line, column),
                    "",
                    f"invalid UTF-8 byte 0x{data[exc.start]:02x}; save the file as UTF-8",
                )
            ]
        ) from None
    try:
        located = parse(text)
    except YamlProblem as exc:
        raise DeckError([diag(name, exc.mark, "", exc.message)]) from None
    if any(escape in text for escape in _NUL_ESCAPES):
        nuls = [
            diag(name, located.mark_for(path), format_path(path, located), _NUL_MESSAGE)
            for path in _nul_paths(located.value, ())
        ]
        if nuls:
            raise DeckError(nuls)
    if not isinstance(located.value, dict):
        raise DeckError(
            [
                diag(
                    name,
                    Mark(1, 1),
                    "",
                    "a deck file is a mapping with `deck:` (id, title, sources) "
                    "and `notes:` (a list)",
                )
            ]
        )
    try:
        model = DeckFileModel.model_validate(located.value)
    except ValidationError as exc:
        # Every note that can be read is still checked against the others, so that one
        # run of `quiz check` shows the duplicate ids too, not only after the rest is fixed.
        found = validation_diagnostics(exc, located, name)
        found += hidden_by_field_errors(located, name, found)
        found += raw_cross_checks(located, name)
        found.sort(key=lambda d: (d.line, d.column))
        raise DeckError(found) from None
    deck, diagnostics = _to_domain(model, located, name)
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    if errors:
        raise DeckError(errors)
    warnings = tuple(d for d in diagnostics if d.severity is Severity.WARNING)
    return LoadedDeck(deck, name, hashlib.sha256(data).hexdigest(), warnings, located)


def check_deck(path: str | FsPath) -> list[Diagnostic]:
    """Every error and warning in a deck file, lint warnings included, without raising.

    Lint (quiz.decks.lint) also runs on a file with errors, as long as it is YAML,
    so that one `quiz check` shows everything there is to fix.
    """
    from quiz.decks.item_rules import item_rules
    from quiz.decks.lint import lint

    name = str(path)
    try:
        loaded = load_deck(path)
        found, located = list(loaded.warnings), loaded.located
    except DeckError as exc:
        found, located = exc.diagnostics, _parse_quietly(path)
    if located is not None:
        found += lint(located, name)
        found += item_rules(located, name)
    # Lint repeats the loader's own warnings so that they appear on files with errors too.
    unique = list(dict.fromkeys(found))
    unique.sort(key=lambda d: (d.line, d.column))
    return unique


_NUL_ESCAPES = ("\\0", "\\x00", "\\u0000", "\\U00000000")
"""The double-quoted escapes that write U+0000; YAML refuses it written raw."""
_NUL_MESSAGE = "a NUL character (\\0) cannot be stored (PostgreSQL refuses it); remove it"


def _nul_paths(value: Any, path: Path) -> Iterator[Path]:
    """Where a string holding U+0000 is, keys included."""
    if isinstance(value, str):
        if "\x00" in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                yield path
            yield from _nul_paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _nul_paths(item, (*path, i))


def _parse_quietly(path: str | FsPath) -> Located | None:
    try:
        return parse(read_deck(FsPath(path)).decode("utf-8-sig"))
    except (InputFileError, UnicodeDecodeError, YamlProblem):
        return None


def _to_domain(model: DeckFileModel, located: Located, name: str) -> tuple[Deck, list[Diagnostic]]:
    meta = model.deck
    diagnostics: list[Diagnostic] = []
    source_ids: set[str] = set()
    for i, source in enumerate(meta.sources):
        if source.id in source_ids:
            path: Path = ("deck", "sources", i, "id")
            diagnostics.append(
                diag(
                    name,
                    located.mark_for(path),
                    format_path(path),
                    f"duplicate source id {source.id!r}",
                )
            )
        source_ids.add(source.id)

    notes: list[Note] = []
    seen: dict[str, int] = {}
    for i, n in enumerate(model.notes):
        base: Path = ("notes", i)
        mark = located.mark_for(base)
        if n.id in seen:
            diagnostics.append(
                diag(
                    name,
                    located.mark_for((*base, "id")),
                    format_path(base, located),
                    f"duplicate note id {n.id!r} (first used at line {seen[n.id]}); "
                    "ids must be unique",
                )
            )
        seen.setdefault(n.id, mark.line)
        if n.source is not None and n.source.id not in source_ids:
            diagnostics.append(
                diag(
                    name,
                    located.mark_for((*base, "source", "id")),
                    format_path((*base, "source"), located),
                    f"unknown source id {n.source.id!r}; declare it under deck.sources",
                    Severity.WARNING,
                )
            )
        if n.from_ is not None:
            kind = _NOTE_TYPES[n.type]
            ords = _card_ords(kind, n)
            for problem in shape_problems(n.from_, kind, ords):
                diagnostics.append(
                    diag(
                        name,
                        located.mark_for((*base, "from")),
                        format_path((*base, "from"), located),
                        problem,
                    )
                )
        notes.append(
            Note(
                id=n.id,
                type=_NOTE_TYPES[n.type],
                fields=_note_fields(n),
                tags=tuple(n.tags),
                source=SourceRef(n.source.id, n.source.section) if n.source else None,
                extra=n.extra,
                facts=tuple(n.facts),
                reset=n.reset,
                moved_from=n.from_,
                line=mark.line,
            )
        )
    deck = Deck(
        id=meta.id,
        title=meta.title,
        description=meta.description,
        version=str(meta.version),
        sources=tuple(Source(s.id, s.title, s.url) for s in meta.sources),
        tags=tuple(meta.tags),
        notes=tuple(notes),
    )
    return deck, diagnostics


def _card_ords(kind: NoteType, n: NoteModel) -> list[int]:
    if isinstance(n, ClozeNoteModel):
        return cloze.numbers(n.text)
    return [0, 1] if kind is NoteType.REVERSED else [0]


def _note_fields(n: NoteModel) -> dict[str, Any]:
    """What ``n.model_dump(include=_FIELDS[n.type], exclude_none=True)`` gives, in the same
    key order, written out: it is called once per note, and model_dump costs more than the
    rest of building the note (tests/unit/test_deck_loader.py holds them equal)."""
    if isinstance(n, ClozeNoteModel):
        return {"text": n.text}
    if isinstance(n, McqNoteModel):
        fields: dict[str, Any] = {"stem": n.stem}
        if n.question is not None:
            fields["question"] = n.question
        options = []
        for o in n.options:
            option: dict[str, Any] = {
                "text": o.text,
                "correct": o.correct,
                "explanation": o.explanation,
            }
            if o.id is not None:
                option["id"] = o.id
            options.append(option)
        fields["options"] = options
        if n.shuffle is not None:
            fields["shuffle"] = n.shuffle
        return fields
    return {"front": n.front, "back": n.back}


_NOTE_TYPES = {str(t): t for t in NoteType}

__all__ = ["LoadedDeck", "check_deck", "format_path", "load_deck", "load_deck_bytes", "paused_gc"]
