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
from quiz.decks.schema import ClozeNoteModel, DeckFileModel, McqNoteModel, NoteModel
from quiz.decks.yamlnodes import Located, Mark, Path, YamlProblem, parse
from quiz.domain import cloze
from quiz.domain.moves import shape_problems
from quiz.domain.notes import Deck, Note, NoteType, Source, SourceRef

MAX_FILE_BYTES = 10 * 1024 * 1024
"""Largest deck file accepted; a real deck of 10,000 notes is about 3 MB."""


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
        data = _read_bounded(FsPath(path))
    except OSError as exc:
        raise DeckError(
            [_diag(name, Mark(1, 1), "", f"cannot read file: {exc.strerror or exc}")]
        ) from None
    if data is None:
        raise DeckError(
            [
                _diag(
                    name,
                    Mark(1, 1),
                    "",
                    f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; "
                    "split the deck into smaller files",
                )
            ]
        )
    return load_deck_bytes(data, name)


def _read_bounded(path: FsPath) -> bytes | None:
    """The file's bytes, or None if it is larger than a deck may be.

    Reads at most one byte past the limit, whatever the file claims to be: a
    symlink to /dev/zero or a FIFO reports size 0 and would otherwise be read
    until memory runs out.

    Raises:
        OSError: If it cannot be read, or is not a regular file.
    """
    if not path.is_file():
        if path.exists():
            raise OSError(f"{path} is not a regular file")
        path.stat()  # raises FileNotFoundError with the usual message
    with path.open("rb") as fh:
        data = fh.read(MAX_FILE_BYTES + 1)
    return None if len(data) > MAX_FILE_BYTES else data


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
        raise DeckError([_diag(name, Mark(1, 1), "", "file is too large to be a deck")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DeckError(
            [
                _diag(
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
        raise DeckError([_diag(name, exc.mark, "", exc.message)]) from None
    if any(escape in text for escape in _NUL_ESCAPES):
        nuls = [
            _diag(name, located.mark_for(path), format_path(path, located), _NUL_MESSAGE)
            for path in _nul_paths(located.value, ())
        ]
        if nuls:
            raise DeckError(nuls)
    if not isinstance(located.value, dict):
        raise DeckError(
            [
                _diag(
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
        raise DeckError(_validation_diagnostics(exc, located, name)) from None
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
    from quiz.decks.lint import lint

    name = str(path)
    try:
        loaded = load_deck(path)
        found, located = list(loaded.warnings), loaded.located
    except DeckError as exc:
        found, located = exc.diagnostics, _parse_quietly(path)
    if located is not None:
        found += lint(located, name)
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
        data = _read_bounded(FsPath(path))
        return None if data is None else parse(data.decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, YamlProblem):
        return None


def _diag(
    name: str, mark: Mark, path: str, message: str, severity: Severity = Severity.ERROR
) -> Diagnostic:
    return Diagnostic(name, mark.line, mark.column, severity, path, message)


def format_path(path: Path, located: Located | None = None) -> str:
    """Render a key path like notes[3].options[0].text, naming the note's id when known."""
    out = ""
    for i, part in enumerate(path):
        if isinstance(part, int):
            out += f"[{part}]"
            if located is not None and path[:i] == ("notes",):
                note = _at(located.value, path[: i + 1])
                if isinstance(note, dict) and isinstance(note.get("id"), str):
                    out += f"({note['id']})"
        else:
            out += f".{part}" if out else part
    return out


def _at(value: Any, path: Path) -> Any:
    for part in path:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _validation_diagnostics(exc: ValidationError, located: Located, name: str) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for error in exc.errors(include_url=False):
        raw = tuple(error["loc"])
        kind = error["type"]
        path = _real_path(raw, located, keep_last=kind != "missing")
        if kind == "missing":
            key = raw[-1]
            parent = path
            message = f"missing required key `{key}`"
            mark = located.mark_for(parent)
            where = format_path(parent, located)
        else:
            message = _message(error, located, path)
            if kind.startswith("union_tag"):
                path = (*path, "type")
            mark = located.mark_for(path)
            where = format_path(path, located)
        found.append(_diag(name, mark, where, message))
    found.sort(key=lambda d: (d.line, d.column))
    return found


def _real_path(loc: tuple[Any, ...], located: Located, keep_last: bool) -> Path:
    # Pydantic puts the union's tag ("basic") into the location of errors inside
    # a discriminated union; drop it, and any other step not in the document
    # (except a last key that is missing or unknown, which is the point).
    path: list[str | int] = []
    for i, part in enumerate(loc):
        candidate = (*path, part)
        if len(path) == 2 and path[0] == "notes" and part in _FIELDS:
            continue
        if located.has(candidate) or (keep_last and i == len(loc) - 1):
            path.append(part)
    return tuple(path)


def _message(error: Any, located: Located, path: Path) -> str:
    kind = error["type"]
    value = _at(located.value, path)
    if kind == "extra_forbidden":
        return f"unknown key `{path[-1]}`; check its spelling against the deck format in the README"
    if kind in {"string_type", "bool_type", "int_type", "list_type", "model_type", "dict_type"}:
        want = {
            "string_type": "text",
            "bool_type": "true or false",
            "int_type": "a whole number",
            "list_type": "a list",
            "model_type": "a mapping",
            "dict_type": "a mapping",
        }[kind]
        return f"must be {want}, not {_describe(value)}"
    if kind == "union_tag_invalid" or kind == "union_tag_not_found":
        return "`type` must be one of basic, reversed, cloze, mcq"
    if kind == "string_pattern_mismatch":
        if (path and path[-1] == "tags") or (len(path) > 1 and path[-2] == "tags"):
            return f"tag {value!r} may not contain spaces or single colons; use '::' between levels"
        return f"{value!r} is not a valid id; use letters, digits, '-', '_' and '.'"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "too_short":
        return f"needs at least {error['ctx']['min_length']} item(s)"
    if kind == "too_long":
        return f"has more than {error['ctx']['max_length']} items"
    if kind == "string_too_long":
        return f"is longer than {error['ctx']['max_length']} characters"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    return str(error["msg"])


def _describe(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, int | float):
        return f"{value} (a number); quote it to make it text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)


def _to_domain(model: DeckFileModel, located: Located, name: str) -> tuple[Deck, list[Diagnostic]]:
    meta = model.deck
    diagnostics: list[Diagnostic] = []
    source_ids: set[str] = set()
    for i, source in enumerate(meta.sources):
        if source.id in source_ids:
            path: Path = ("deck", "sources", i, "id")
            diagnostics.append(
                _diag(
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
                _diag(
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
                _diag(
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
                    _diag(
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
        fields["options"] = [
            {"text": o.text, "correct": o.correct, "explanation": o.explanation} for o in n.options
        ]
        return fields
    return {"front": n.front, "back": n.back}


_NOTE_TYPES = {str(t): t for t in NoteType}

_FIELDS: dict[str, set[str]] = {
    "basic": {"front", "back"},
    "reversed": {"front", "back"},
    "cloze": {"text"},
    "mcq": {"stem", "question", "options"},
}
