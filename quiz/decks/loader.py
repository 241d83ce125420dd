"""Load a deck file: read, parse safely, validate fully, and build domain notes.

Nothing here touches a database. A deck either loads completely or raises
DeckError carrying every error in the file, each with its line.
"""

from __future__ import annotations

import gc
import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError

from quiz.decks.diagnostics import DeckError, Diagnostic, Severity
from quiz.decks.schema import (
    BasicNoteModel,
    ClozeNoteModel,
    DeckFileModel,
    McqNoteModel,
    NoteModel,
    ReversedNoteModel,
)
from quiz.decks.yamlnodes import Located, Mark, Path, YamlProblem, parse
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
        raise DeckError([_diag(name, Mark(1, 1), "", exc.message)]) from None
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
        # Every note that can be read is still checked against the others, so that one
        # run of `quiz check` shows the duplicate ids too, not only after the rest is fixed.
        found = _validation_diagnostics(exc, located, name)
        found += _hidden_by_field_errors(located, name, found)
        found += _raw_cross_checks(located, name)
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
        return parse(read_deck(FsPath(path)).decode("utf-8-sig"))
    except (InputFileError, UnicodeDecodeError, YamlProblem):
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
            message = f"missing required key `{key}`" + _missing_hint(key, located, parent, name)
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
        return _unknown_key(str(path[-1]), located, path)
    if kind in {"string_type", "bool_type", "int_type", "list_type", "model_type", "dict_type"}:
        want = {
            "string_type": "text",
            "bool_type": "true or false",
            "int_type": "a whole number",
            "list_type": "a list",
            "model_type": "a mapping",
            "dict_type": "a mapping",
        }[kind]
        described = _describe(value)
        if want == "text" and (isinstance(value, bool) or value is None):
            written = located.written(path)
            if written and written not in ("~", "null", "Null", "NULL", ""):
                quoted = json.dumps(written, ensure_ascii=False)
                described += f"; YAML reads {written} as {_yaml_kind(value)}: quote it: {quoted}"
        return f"must be {want}, not {described}"
    if kind == "union_tag_not_found":
        note = _at(located.value, path)
        near = [k for k in note if k.lower() == "type"] if isinstance(note, dict) else []
        if near:
            return f"missing `type`; found `{near[0]}`: keys are lowercase, write `type:`"
        return "missing `type`; add `type:` with one of basic, reversed, cloze, mcq"
    if kind == "union_tag_invalid":
        written = _at(located.value, (*path, "type"))
        guess = _did_you_mean(str(written), list(_FIELDS))
        return "`type` must be one of basic, reversed, cloze, mcq" + guess
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


def _yaml_kind(value: Any) -> str:
    return "empty (null)" if value is None else f"the boolean {str(value).lower()}"


def _did_you_mean(word: str, choices: list[str]) -> str:
    import difflib

    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered and word not in choices:
        return f"; did you mean `{lowered[word.lower()]}`? (keys and types are lowercase)"
    close = difflib.get_close_matches(word.lower(), choices, n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def _unknown_key(key: str, located: Located, path: Path) -> str:
    if " " in key.strip() or key != key.strip():
        # `{text: x, explanation: Slow, and unreliable.}`: the comma ended the value and
        # YAML made a key of the rest.
        return (
            f"`{key}` is read as a key: an unquoted comma inside {{...}} ends a value; "
            "quote the text that holds the comma"
        )
    return f"unknown key `{key}`" + (
        _did_you_mean(key, _known_keys(located, path[:-1]))
        or "; check its spelling against the deck format in the README"
    )


def _known_keys(located: Located, parent: Path) -> list[str]:
    """The keys allowed where parent is (a note, an option, the deck, a source)."""
    from quiz.decks.schema import (
        DeckMetaModel,
        McqOptionModel,
        SourceModel,
        SourceRefModel,
    )

    models: dict[str, Any] = {
        "basic": BasicNoteModel,
        "reversed": ReversedNoteModel,
        "cloze": ClozeNoteModel,
        "mcq": McqNoteModel,
    }
    if len(parent) == 2 and parent[0] == "notes":
        note = _at(located.value, parent)
        kind = note.get("type") if isinstance(note, dict) else None
        model = models.get(kind) if isinstance(kind, str) else None
        if model is None:
            return sorted({k for m in models.values() for k in m.model_fields})
        return list(model.model_fields)
    if len(parent) == 4 and parent[2] == "options":
        return list(McqOptionModel.model_fields)
    if parent[-1:] == ("source",):
        return list(SourceRefModel.model_fields)
    if parent == ("deck",):
        return list(DeckMetaModel.model_fields)
    if len(parent) == 3 and parent[1] == "sources":
        return list(SourceModel.model_fields)
    if parent == ():
        return list(DeckFileModel.model_fields)
    return []


def _missing_hint(key: Any, located: Located, parent: Path, name: str) -> str:
    note = _at(located.value, parent)
    if isinstance(note, dict):
        near = [k for k in note if isinstance(k, str) and k.lower() == str(key) and k != key]
        if near:
            return f"; found `{near[0]}`: keys are lowercase, write `{key}:`"
    if key == "id" and len(parent) == 2 and parent[0] == "notes":
        return f"; run `quiz ids {name}` to give every note without one a stable id"
    return ""


def _hidden_by_field_errors(
    located: Located, name: str, found: list[Diagnostic]
) -> list[Diagnostic]:
    """Note-level errors pydantic skips once a field of the note failed: one error must
    not hide another in the same note (today: the MCQ's single best answer)."""
    notes = located.value.get("notes") if isinstance(located.value, dict) else None
    if not isinstance(notes, list):
        return []
    reported = {(d.line, d.message) for d in found}
    extra: list[Diagnostic] = []
    for i, note in enumerate(notes):
        if not isinstance(note, dict) or note.get("type") != "mcq":
            continue
        options = note.get("options")
        if not isinstance(options, list) or not all(isinstance(o, dict) for o in options):
            continue
        flags = [o.get("correct", False) for o in options]
        if not all(isinstance(f, bool) for f in flags):
            continue  # a non-boolean `correct` is reported as such
        correct = sum(flags)
        if correct == 1:
            continue
        path: Path = ("notes", i)
        mark = located.mark_for(path)
        message = f"needs exactly one option with `correct: true`, found {correct}"
        if (mark.line, message) not in reported:
            extra.append(_diag(name, mark, format_path(path, located), message))
    return extra


def _raw_cross_checks(located: Located, name: str) -> list[Diagnostic]:
    """Duplicate note and source ids among the notes as written, valid or not."""
    data = located.value if isinstance(located.value, dict) else {}
    found: list[Diagnostic] = []
    deck = data.get("deck")
    sources = deck.get("sources") if isinstance(deck, dict) else None
    if isinstance(sources, list):
        seen_sources: set[str] = set()
        for i, source in enumerate(sources):
            sid = source.get("id") if isinstance(source, dict) else None
            if not isinstance(sid, str):
                continue
            if sid in seen_sources:
                path: Path = ("deck", "sources", i, "id")
                found.append(
                    _diag(
                        name,
                        located.mark_for(path),
                        format_path(path),
                        f"duplicate source id {sid!r}",
                    )
                )
            seen_sources.add(sid)
    notes = data.get("notes")
    if isinstance(notes, list):
        first: dict[str, int] = {}
        for i, note in enumerate(notes):
            nid = note.get("id") if isinstance(note, dict) else None
            if not isinstance(nid, str):
                continue
            base: Path = ("notes", i)
            if nid in first:
                found.append(
                    _diag(
                        name,
                        located.mark_for((*base, "id")),
                        format_path(base, located),
                        f"duplicate note id {nid!r} (first used at line {first[nid]}); "
                        "ids must be unique",
                    )
                )
            first.setdefault(nid, located.mark_for(base).line)
    return found


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
