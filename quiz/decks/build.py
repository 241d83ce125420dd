"""Build a deck from a facts file: read, generate, validate, each problem with its file and line.

This is the file layer around the pure generator (quiz.decks.generate) that
`quiz build` and `quiz coverage` use. Errors are `Diagnostic`s like those of
`quiz check`: a problem in the facts file or a hand-written notes file names
that file and line; a problem the deck loader finds in the generated deck is
reported at the line of the fact or note it came from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quiz.decks.diagnostics import DeckError, Diagnostic, Severity
from quiz.decks.generate import (
    FactsFileModel,
    GenerateError,
    build_deck,
    dump_deck,
    parse_facts,
    parse_notes_file,
)
from quiz.decks.loader import MAX_FILE_BYTES, format_path, load_deck_bytes
from quiz.decks.yamlnodes import Located, Mark, YamlProblem, parse
from quiz.decks.yamlnodes import Path as KeyPath


@dataclass(frozen=True, slots=True)
class Built:
    """A generated deck and where it came from and goes."""

    facts_path: Path
    notes_paths: tuple[Path, ...]
    output: Path | None
    """Where the deck belongs: -o, else the facts file's `build.output`, else nowhere (stdout)."""
    text: str


@dataclass(frozen=True, slots=True)
class ReadFacts:
    """A validated facts file with the position of every value."""

    path: Path
    located: Located
    facts: FactsFileModel


def read_located(path: Path) -> Located:
    """Parse a YAML file safely, bounded in size.

    Raises:
        DeckError: If the file cannot be read, is not UTF-8 or is not YAML, with its line.
    """
    from quiz.files import InputFileError, read_bounded

    name = str(path)
    try:
        data = read_bounded(path, MAX_FILE_BYTES, "facts file", "split it into smaller files")
    except InputFileError as exc:  # a device, a FIFO, a folder, unreadable or too large
        raise DeckError([_error(name, Mark(1, 1), "", exc.message)]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DeckError(
            [_error(name, Mark(line, 1), "", "not UTF-8; save the file as UTF-8")]
        ) from None
    try:
        return parse(text)
    except YamlProblem as exc:
        raise DeckError([_error(name, exc.mark, "", exc.message)]) from None


def read_facts(path: Path) -> ReadFacts:
    """Read and validate a facts file.

    Raises:
        DeckError: With every problem, each at its line.
    """
    located = read_located(path)
    try:
        facts = parse_facts(located.value)
    except GenerateError as exc:
        raise DeckError(_locate_all(exc.problems, path, located)) from None
    return ReadFacts(path, located, facts)


def build(facts_path: Path, output: Path | None, schema: str) -> Built:
    """Generate the deck of a facts file and validate it with the deck loader.

    ``output`` overrides the facts file's ``build.output``; ``schema`` is what the
    deck's yaml-language-server comment points at.

    Raises:
        DeckError: With every problem found in the inputs or the generated deck.
    """
    located = read_located(facts_path)
    problems: list[Diagnostic] = []
    try:
        read: ReadFacts | None = ReadFacts(facts_path, located, parse_facts(located.value))
    except GenerateError as exc:
        read, problems = None, _locate_all(exc.problems, facts_path, located)
    # The notes files are read even when the facts file has errors, so that one run
    # reports the problems of every file.
    notes_paths = tuple(facts_path.parent / n for n in _notes_files(located.value))
    located_notes: list[Located] = []
    for notes_path in notes_paths:
        try:
            located_notes.append(read_located(notes_path))
        except DeckError as exc:
            problems.extend(exc.diagnostics)
            continue
        try:
            parse_notes_file(located_notes[-1].value)
        except GenerateError as shape:
            problems.extend(_locate_all(shape.problems, notes_path, located_notes[-1]))
    if problems or read is None:
        raise DeckError(problems)
    if output is None and read.facts.build.output is not None:
        output = facts_path.parent / read.facts.build.output
    try:
        deck = build_deck(read.located.value, [n.value for n in located_notes])
    except GenerateError as exc:
        raise DeckError(
            [
                _locate_input(path, msg, read, notes_paths, located_notes)
                for path, msg in exc.problems
            ]
        ) from None
    base = output.parent if output is not None else facts_path.parent
    names = [_relative(p, base) for p in (facts_path, *notes_paths)]
    text = dump_deck(deck, names, names[0], schema)
    try:
        load_deck_bytes(text.encode("utf-8"), str(output or "<generated deck>"))
    except DeckError as exc:
        origins = _origins(read, notes_paths, located_notes)
        raise DeckError(_map_back(exc.diagnostics, text, origins)) from None
    return Built(facts_path, notes_paths, output, text)


def _notes_files(data: Any) -> list[str]:
    """The notes files a facts document names, read leniently (it may have errors)."""
    settings = data.get("build") if isinstance(data, dict) else None
    names = settings.get("notes") if isinstance(settings, dict) else None
    return [n for n in names if isinstance(n, str) and n.strip()] if isinstance(names, list) else []


# --------------------------------------------------------------------------- locating problems

Origin = tuple[Path, Located, KeyPath]


def _origins(
    read: ReadFacts, notes_paths: tuple[Path, ...], located: list[Located]
) -> list[Origin]:
    """Where each note of the generated deck came from, in deck order (see build_deck)."""
    from quiz.decks.generate import notes_for_fact

    out: list[Origin] = []
    for i, fact in enumerate(read.facts.facts):
        out.extend((read.path, read.located, ("facts", i)) for _ in notes_for_fact(fact, "x"))
    out.extend((read.path, read.located, ("notes", i)) for i in range(len(read.facts.notes)))
    for path, loc in zip(notes_paths, located, strict=True):
        notes = loc.value.get("notes") if isinstance(loc.value, dict) else None
        out.extend((path, loc, ("notes", i)) for i in range(len(notes or [])))
    return out


def _map_back(found: list[Diagnostic], text: str, origins: list[Origin]) -> list[Diagnostic]:
    generated = parse(text)
    notes: list[Any] = generated.value.get("notes", []) if isinstance(generated.value, dict) else []
    starts = [generated.mark_for(("notes", i)).line for i in range(len(notes))]
    out: list[Diagnostic] = []
    for d in found:
        key: KeyPath
        index = max((i for i, line in enumerate(starts) if line <= d.line), default=None)
        if index is None or index >= len(origins):
            path, loc, key = origins[0][0], origins[0][1], ("deck",)
        else:
            path, loc, key = origins[index]
        mark = loc.mark_for(key)
        message = f"{d.message} (in the generated deck as {d.path})" if d.path else d.message
        out.append(
            Diagnostic(
                str(path), mark.line, mark.column, d.severity, format_path(key, loc), message
            )
        )
    return out


def _locate_input(
    key: KeyPath,
    message: str,
    read: ReadFacts,
    notes_paths: tuple[Path, ...],
    located: list[Located],
) -> Diagnostic:
    if key[:1] == ("notes_files",) and len(key) > 1 and isinstance(key[1], int):
        k = key[1]
        return _locate(key[2:], message, notes_paths[k], located[k])
    return _locate(key, message, read.path, read.located)


def _locate_all(
    problems: list[tuple[KeyPath, str]], path: Path, located: Located
) -> list[Diagnostic]:
    return [_locate(key, message, path, located) for key, message in problems]


def _locate(key: KeyPath, message: str, path: Path, located: Located) -> Diagnostic:
    return _error(str(path), located.mark_for(key), format_path(key, located), message)


def _error(name: str, mark: Mark, key: str, message: str) -> Diagnostic:
    return Diagnostic(name, mark.line, mark.column, Severity.ERROR, key, message)


def _relative(path: Path, base: Path) -> str:
    return Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()
