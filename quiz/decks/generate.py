"""Generate a deck from a facts document: notes made from each fact, plus hand-written notes.

A facts document is YAML the instructor edits instead of the deck itself::

    deck: {id, title, description, version, sources, tags}   # copied to the deck
    facts:
      - id: tx-sts-adverse                  # stable: note ids are derived from it
        topic: treatment::sodium-thiosulfate  # the note tag is calciphylaxis::<topic>
        source: {id: wikipedia, section: "Treatment / Sodium thiosulfate"}
        statement: ...                      # the fact in plain words (optional with cloze)
        why: ...                            # shown after the answer (the note's `extra`)
        cloze: "... {{key term}} ... {{other term::hint}} ..."
        question: ...                       # with `answer`: a basic note,
        answer: ...                         # or a reversed one with `reversed: true`
        tags: [...]                         # optional tags besides the topic tag
    notes: [...]                            # optional hand-written notes (deck note format)

Each ``{{...}}`` marker in ``cloze`` becomes its own cloze number, in order, so
one marked sentence yields one card per key term. Every generated note lists
its fact in ``facts``, which is what the coverage report checks.

The core (``build_deck``, ``notes_for_fact``, ``cloze_text``, ``dump_deck``) is
pure and deterministic: the same input gives byte-identical output, so a
committed deck can be checked for staleness. ``read_yaml`` and
``build_deck_text`` are the thin file-reading layer the build script and tests share.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from quiz.decks.schema import ID_PATTERN, TAG_PATTERN, DeckMetaModel
from quiz.decks.yamlnodes import Path, YamlProblem, parse
from quiz.domain import cloze

TAG_ROOT = "calciphylaxis"
"""Every generated note is tagged ``<TAG_ROOT>::<topic>``."""

TOPIC_PATTERN = r"^[a-z0-9][a-z0-9-]*(::[a-z0-9][a-z0-9-]*)*$"

NOTE_KEY_ORDER = (
    "id",
    "type",
    "front",
    "back",
    "text",
    "stem",
    "question",
    "options",
    "tags",
    "source",
    "extra",
    "facts",
    "reset",
)
"""Key order of every note in the output, so diffs of the generated deck stay small."""

OPTION_KEY_ORDER = ("text", "correct", "explanation")

YAML_WIDTH = 100_000
"""Wide enough that PyYAML never folds a long sentence across lines."""

# A marker is {{term}} or {{term::hint}}; explicit {{c1::...}} numbers are refused
# so that the numbering always follows the order of the terms in the sentence.
_MARKER = re.compile(
    r"\{\{(?!c\d+::)((?:(?!::|\{\{|\}\}).)+?)(?:::((?:(?!\{\{|\}\}).)+?))?\}\}", re.DOTALL
)
_EXPLICIT = re.compile(r"\{\{c\d+::")

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=100)]
Tag = Annotated[str, StringConstraints(pattern=TAG_PATTERN, max_length=200)]
Topic = Annotated[str, StringConstraints(pattern=TOPIC_PATTERN, max_length=150)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=5_000)]


class GenerateError(Exception):
    """A facts document that cannot become a deck; carries every problem with its key path."""

    def __init__(self, problems: Sequence[tuple[Path, str]]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(f"{_where(path)}: {msg}" for path, msg in self.problems))


class _Model(BaseModel):
    # Same stance as the deck schema: unknown keys and wrong types are errors.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _not_blank(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValueError("must not be blank")
        return value


class FactSourceModel(_Model):
    """Where a fact comes from; unlike a note's reference the section is required."""

    id: Id
    section: Text


class FactModel(_Model):
    """One atomic fact and the cards it should produce."""

    id: Id
    topic: Topic
    source: FactSourceModel
    statement: Text | None = None
    why: Text
    cloze: Text | None = None
    question: Text | None = None
    answer: Text | None = None
    reversed: bool = False
    tags: list[Tag] = Field(default_factory=list)

    @field_validator("cloze")
    @classmethod
    def _valid_markers(cls, text: str | None) -> str | None:
        if text is not None:
            cloze_text(text)  # raises ValueError with the reason
        return text

    @model_validator(mode="after")
    def _consistent(self) -> FactModel:
        if (self.question is None) != (self.answer is None):
            raise ValueError("`question` and `answer` go together; give both or neither")
        if self.reversed and self.question is None:
            raise ValueError("`reversed: true` needs a `question` and an `answer`")
        if self.statement is None and self.cloze is None:
            raise ValueError("needs a `statement` (or a `cloze` to derive it from)")
        return self

    @property
    def plain_statement(self) -> str:
        """The fact in plain words: the statement, or the cloze with its markers removed."""
        if self.statement is not None:
            return self.statement
        assert self.cloze is not None  # guaranteed by _consistent
        return _MARKER.sub(lambda m: m.group(1), self.cloze)


class FactsFileModel(_Model):
    """A facts document: deck metadata, the facts, and optional hand-written notes."""

    deck: DeckMetaModel
    facts: list[FactModel] = Field(min_length=1)
    notes: list[dict[str, Any]] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class NotesFile:
    """Hand-written notes from one file, for merging into the deck."""

    notes: tuple[Mapping[str, Any], ...]


def cloze_text(marked: str) -> str:
    """Turn ``{{term}}``/``{{term::hint}}`` markers into numbered Anki deletions.

    >>> cloze_text("{{Fentanyl}} and {{methadone::opioid}} are preferred")
    '{{c1::Fentanyl}} and {{c2::methadone::opioid}} are preferred'

    Raises:
        ValueError: If the text has no marker, an explicit cloze number, or stray braces.
    """
    if _EXPLICIT.search(marked):
        raise ValueError("write markers as {{term}} or {{term::hint}}; numbers are assigned")
    counter = 0

    def number(m: re.Match[str]) -> str:
        nonlocal counter
        counter += 1
        term, hint = m.group(1), m.group(2)
        if term != term.strip() or (hint is not None and hint != hint.strip()):
            raise ValueError(f"marker {m.group(0)!r} has spaces inside its braces")
        body = term if hint is None else f"{term}::{hint}"
        return f"{{{{c{counter}::{body}}}}}"

    result = _MARKER.sub(number, marked)
    if counter == 0:
        raise ValueError("has no {{key term}} marker")
    problems = cloze.problems(result)
    if problems:
        raise ValueError("; ".join(problems))
    return result


def parse_facts(data: Any) -> FactsFileModel:
    """Validate a facts document.

    Raises:
        GenerateError: With every problem found, each with its key path.
    """
    if not isinstance(data, Mapping):
        raise GenerateError([((), "a facts file is a mapping with `deck:` and `facts:`")])
    try:
        model = FactsFileModel.model_validate(dict(data))
    except ValidationError as exc:
        raise GenerateError(
            [(tuple(_real_loc(e["loc"])), _error_message(e)) for e in exc.errors(include_url=False)]
        ) from None
    problems: list[tuple[Path, str]] = []
    source_ids = {s.id for s in model.deck.sources}
    seen: set[str] = set()
    for i, fact in enumerate(model.facts):
        if fact.id in seen:
            problems.append((("facts", i, "id"), f"duplicate fact id {fact.id!r}"))
        seen.add(fact.id)
        if fact.source.id not in source_ids:
            problems.append(
                (
                    ("facts", i, "source", "id"),
                    f"unknown source {fact.source.id!r}; declare it under deck.sources",
                )
            )
    if problems:
        raise GenerateError(problems)
    return model


def parse_notes_file(data: Any) -> NotesFile:
    """Validate the outer shape of a hand-written notes file (``notes: [...]``).

    The notes themselves are checked by the deck loader once merged, which gives
    the same messages as for any deck.

    Raises:
        GenerateError: If the file is not a mapping with a list under ``notes``.
    """
    if (
        not isinstance(data, Mapping)
        or set(data) != {"notes"}
        or not isinstance(data["notes"], list)
    ):
        raise GenerateError([((), "a notes file is a mapping with one key, `notes:` (a list)")])
    problems = [
        (("notes", i), "each note must be a mapping")
        for i, n in enumerate(data["notes"])
        if not isinstance(n, Mapping)
    ]
    if problems:
        raise GenerateError(problems)
    return NotesFile(tuple(data["notes"]))


def topic_tag(topic: str) -> str:
    """The hierarchical tag of a topic, e.g. ``calciphylaxis::treatment::pain``."""
    return f"{TAG_ROOT}::{topic}"


def notes_for_fact(fact: FactModel) -> list[dict[str, Any]]:
    """The notes one fact yields: a question note (``<id>.qa``) and/or a cloze (``<id>.cloze``)."""
    common: dict[str, Any] = {
        "tags": [topic_tag(fact.topic), *[t for t in fact.tags if t != topic_tag(fact.topic)]],
        "source": {"id": fact.source.id, "section": fact.source.section},
        "extra": fact.why,
        "facts": [fact.id],
    }
    notes: list[dict[str, Any]] = []
    if fact.question is not None and fact.answer is not None:
        notes.append(
            {
                "id": f"{fact.id}.qa",
                "type": "reversed" if fact.reversed else "basic",
                "front": fact.question,
                "back": fact.answer,
                **common,
            }
        )
    if fact.cloze is not None:
        notes.append(
            {"id": f"{fact.id}.cloze", "type": "cloze", "text": cloze_text(fact.cloze), **common}
        )
    return notes


def fact_ids(facts: FactsFileModel) -> list[str]:
    """The ids of every fact, in document order."""
    return [f.id for f in facts.facts]


def build_deck(facts_document: Any, notes_documents: Sequence[Any] = ()) -> dict[str, Any]:
    """The deck document for a facts document and any hand-written notes files.

    Notes come in this order: those generated from facts (in fact order), the
    facts file's own ``notes``, then each notes file's notes in the order given.
    The deck's tag vocabulary is every tag declared or used, sorted.

    Raises:
        GenerateError: If the facts are invalid, a note id repeats, or a note cites
            a fact that does not exist.
    """
    facts = parse_facts(facts_document)
    notes: list[dict[str, Any]] = []
    for fact in facts.facts:
        notes.extend(notes_for_fact(fact))
    handwritten: list[tuple[Path, Mapping[str, Any]]] = [
        (("notes", i), n) for i, n in enumerate(facts.notes)
    ]
    for k, document in enumerate(notes_documents):
        try:
            parsed = parse_notes_file(document)
        except GenerateError as exc:
            raise GenerateError([(("notes_files", k, *p), m) for p, m in exc.problems]) from None
        handwritten.extend((("notes_files", k, "notes", i), n) for i, n in enumerate(parsed.notes))

    known_facts = set(fact_ids(facts))
    problems: list[tuple[Path, str]] = []
    seen = {n["id"] for n in notes}
    for path, note in handwritten:
        note_id = note.get("id")
        if note_id in seen:
            problems.append(((*path, "id"), f"duplicate note id {note_id!r}"))
        seen.add(note_id)
        cited = note.get("facts", [])
        for fact_id in cited if isinstance(cited, list) else []:
            if fact_id not in known_facts:
                problems.append(((*path, "facts"), f"unknown fact {fact_id!r}"))
        notes.append(_ordered_note(note))
    if problems:
        raise GenerateError(problems)

    # Only the keys the author wrote: an explicit empty description is refused by the
    # deck schema even though it is the default.
    meta = facts.deck.model_dump(exclude_unset=True)
    used = {t for n in notes for t in n.get("tags", []) if isinstance(t, str)}
    meta["tags"] = sorted(set(meta.get("tags", [])) | used)
    return {"deck": meta, "notes": notes}


SCHEMA_COMMENT = "# yaml-language-server: $schema=../quiz/decks/deck.schema.json"
"""Points editors at the schema from a deck in decks/ (the path is relative to the deck)."""


def dump_deck(deck: Mapping[str, Any], generated_from: Sequence[str]) -> str:
    """The deck as YAML text, headed by a comment naming the files it was generated from."""
    header = [
        "# GENERATED FILE: do not edit by hand.",
        "# Built by scripts/build_deck.py from:",
        *[f"#   {name}" for name in generated_from],
        "# Edit those files, then run `python scripts/build_deck.py` to regenerate this one.",
        # Editors with the YAML language server validate and complete against the schema.
        SCHEMA_COMMENT,
    ]
    body = yaml.safe_dump(
        dict(deck), sort_keys=False, allow_unicode=True, width=YAML_WIDTH, default_flow_style=False
    )
    return "\n".join(header) + "\n" + body


def read_yaml(path: str | FsPath) -> Any:
    """Parse a YAML file safely (duplicate keys and object tags are refused).

    Raises:
        GenerateError: On a YAML syntax problem, with its line.
    """
    from quiz.files import InputFileError, read_deck

    try:
        text = read_deck(FsPath(path)).decode("utf-8")
    except InputFileError as exc:  # a device, a FIFO, a folder or too large
        raise GenerateError([((), f"{path}:1:1: {exc.message}")]) from None
    try:
        return parse(text).value
    except YamlProblem as exc:
        where = f"{path}:{exc.mark.line}:{exc.mark.column}"
        raise GenerateError([((), f"{where}: {exc.message}")]) from None


def build_deck_text(facts_path: FsPath, notes_paths: Sequence[FsPath], root: FsPath) -> str:
    """Read the input files and return the generated deck text (paths in the header are
    relative to ``root``, so the output does not depend on where the repository lives).

    Raises:
        GenerateError: If any input is invalid.
    """
    deck = build_deck(read_yaml(facts_path), [read_yaml(p) for p in notes_paths])
    names = [_relative(p, root) for p in (facts_path, *notes_paths)]
    return dump_deck(deck, names)


def _relative(path: FsPath, root: FsPath) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _ordered_note(note: Mapping[str, Any]) -> dict[str, Any]:
    # Known keys first in a fixed order, then anything else (the loader will
    # reject unknown keys with a located message, so they are kept, not dropped).
    ordered = {k: note[k] for k in NOTE_KEY_ORDER if k in note}
    ordered.update({k: v for k, v in note.items() if k not in ordered})
    options = ordered.get("options")
    if isinstance(options, list):
        ordered["options"] = [
            {**{k: o[k] for k in OPTION_KEY_ORDER if k in o}, **o} if isinstance(o, Mapping) else o
            for o in options
        ]
    return ordered


def _real_loc(loc: Sequence[Any]) -> list[str | int]:
    # Pydantic adds type names such as "function-after[...]" to some locations.
    return [p for p in loc if isinstance(p, int) or not str(p).startswith("function-")]


def _error_message(error: Any) -> str:
    if error["type"] == "missing":
        return "missing required key"
    if error["type"] == "extra_forbidden":
        return "unknown key; check its spelling"
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    return str(error["msg"])


def _where(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"
