"""Why a deck is invalid, in an author's words: pydantic's errors located by line and key
path with targeted hints for YAML's traps, and the checks a failed validation skips.

Every note that can be read is still checked against the others (duplicate ids) and
for the errors that pydantic's note-level validators never reach once a field of the
note failed, so one `quiz check` reports everything there is to fix.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from quiz.decks.diagnostics import Diagnostic
from quiz.decks.keypaths import diag, format_path, value_at
from quiz.decks.schema import (
    BasicNoteModel,
    ClozeNoteModel,
    DeckFileModel,
    McqNoteModel,
    ReversedNoteModel,
)
from quiz.decks.yamlmarks import Located, Path

_FIELDS: dict[str, set[str]] = {
    "basic": {"front", "back"},
    "reversed": {"front", "back"},
    "cloze": {"text"},
    "mcq": {"stem", "question", "options", "shuffle"},
}
"""The keys of each note type that make its cards (the rest are common to all)."""


def validation_diagnostics(exc: ValidationError, located: Located, name: str) -> list[Diagnostic]:
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
        found.append(diag(name, mark, where, message))
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
    value = value_at(located.value, path)
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
        described = describe(value)
        if want == "text" and (isinstance(value, bool) or value is None):
            written = located.written(path)
            if written and written not in ("~", "null", "Null", "NULL", ""):
                quoted = json.dumps(written, ensure_ascii=False)
                described += f"; YAML reads {written} as {_yaml_kind(value)}: quote it: {quoted}"
        return f"must be {want}, not {described}"
    if kind == "union_tag_not_found":
        note = value_at(located.value, path)
        near = [k for k in note if k.lower() == "type"] if isinstance(note, dict) else []
        if near:
            return f"missing `type`; found `{near[0]}`: keys are lowercase, write `type:`"
        return "missing `type`; add `type:` with one of basic, reversed, cloze, mcq"
    if kind == "union_tag_invalid":
        written = value_at(located.value, (*path, "type"))
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
        note = value_at(located.value, parent)
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
    note = value_at(located.value, parent)
    if isinstance(note, dict):
        near = [k for k in note if isinstance(k, str) and k.lower() == str(key) and k != key]
        if near:
            return f"; found `{near[0]}`: keys are lowercase, write `{key}:`"
    if key == "id" and len(parent) == 2 and parent[0] == "notes":
        return f"; run `quiz ids {name}` to give every note without one a stable id"
    return ""


def hidden_by_field_errors(
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
            extra.append(diag(name, mark, format_path(path, located), message))
    return extra


def raw_cross_checks(located: Located, name: str) -> list[Diagnostic]:
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
                    diag(
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
                    diag(
                        name,
                        located.mark_for((*base, "id")),
                        format_path(base, located),
                        f"duplicate note id {nid!r} (first used at line {first[nid]}); "
                        "ids must be unique",
                    )
                )
            first.setdefault(nid, located.mark_for(base).line)
    return found


def describe(value: Any) -> str:
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
