"""The deck file format as validation models; the JSON Schema is generated from these."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from quiz.domain import cloze
from quiz.domain.notes import LETTERS

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
TAG_PATTERN = r"^[^\s:]+(::[^\s:]+)*$"

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=120)]
Tag = Annotated[str, StringConstraints(pattern=TAG_PATTERN, max_length=200)]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


Text = Annotated[
    str, StringConstraints(min_length=1, max_length=50_000), AfterValidator(_not_blank)
]


class _Model(BaseModel):
    # Unknown keys are errors, so a typo ("fornt") is caught instead of ignored;
    # strict, so that `id: 12` is reported rather than quietly turned into "12".
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class SourceModel(_Model):
    """A document the deck was built from."""

    id: Id = Field(description="Short id that notes cite, e.g. 'wikipedia'.")
    title: Text = Field(description="Human-readable title of the source.")
    url: str | None = Field(default=None, description="Where the source can be read.")


class SourceRefModel(_Model):
    """Where a note's fact comes from."""

    id: Id = Field(description="The id of one of the deck's sources.")
    section: str | None = Field(default=None, description="Section, page or other locator.")


class DeckMetaModel(_Model):
    """Metadata of a deck."""

    id: Id = Field(description="Stable id of the deck; progress is kept under it.")
    title: Text
    description: str = ""
    version: str | int = Field(default="1", description="The deck's own version, for humans.")
    sources: list[SourceModel] = Field(default_factory=list)
    tags: list[Tag] = Field(
        default_factory=list,
        description="Optional tag vocabulary; when given, `quiz check` warns about other tags.",
    )


class _NoteModel(_Model):
    id: Id = Field(description="Stable id, unique in the deck. Keep it when editing the note.")
    tags: list[Tag] = Field(default_factory=list, description="Hierarchical with '::'.")
    source: SourceRefModel | None = None
    extra: str | None = Field(default=None, description="Explanation shown after the answer.")
    facts: list[Id] = Field(default_factory=list, description="Ids of the facts this note teaches.")
    reset: str | None = Field(
        default=None,
        description="Change this value to restart every learner's progress on this note.",
    )
    from_: str | dict[str, str] | None = Field(
        default=None,
        alias="from",
        description="Where this note's cards take their progress from, applied once: "
        "an earlier note id (`from: old-note`), or card -> earlier card "
        "(`from: {c3: c2, c4: other-note:c1, c1: basic-note}`).",
    )


class BasicNoteModel(_NoteModel):
    """A question and its answer: one card."""

    type: Literal["basic"]
    front: Text
    back: Text


class ReversedNoteModel(_NoteModel):
    """A pair learned both ways: the basic card plus its reverse."""

    type: Literal["reversed"]
    front: Text
    back: Text


class ClozeNoteModel(_NoteModel):
    """A sentence with deletions {{c1::answer}} or {{c1::answer::hint}}: one card per number."""

    type: Literal["cloze"]
    text: Text

    @field_validator("text")
    @classmethod
    def _valid_cloze(cls, text: str) -> str:
        problems = cloze.problems(text)
        if problems:
            raise ValueError("; ".join(problems))
        return text


class McqOptionModel(_Model):
    """One option of a multiple-choice question."""

    text: Text
    correct: bool = False
    explanation: Text = Field(description="Why this option is right or wrong.")
    id: str | None = Field(
        default=None,
        pattern=ID_PATTERN,
        description=(
            "Optional stable identity of the option. The review log records which option a "
            "learner chose by this id, or else by a fingerprint of the text: give an id to "
            "keep answers counted for an option whose wording you will change."
        ),
    )


class McqNoteModel(_NoteModel):
    """A clinical vignette with one best answer."""

    type: Literal["mcq"]
    stem: Text = Field(description="The vignette: the patient and the findings.")
    question: str | None = Field(
        default=None, description="The lead-in, e.g. 'Which is the most likely diagnosis?'"
    )
    options: list[McqOptionModel] = Field(min_length=2, max_length=len(LETTERS))
    shuffle: bool | None = Field(
        default=None,
        description=(
            "Whether each learner sees the options in their own order (the default). "
            "`false` keeps the file's order, for items like 'all of the above'."
        ),
    )

    @model_validator(mode="after")
    def _one_best_answer(self) -> McqNoteModel:
        correct = sum(1 for o in self.options if o.correct)
        if correct != 1:
            raise ValueError(f"needs exactly one option with `correct: true`, found {correct}")
        ids = [o.id for o in self.options if o.id is not None]
        if len(ids) != len(set(ids)):
            raise ValueError("two options have the same `id`; option ids must be unique")
        return self


NoteModel = Annotated[
    BasicNoteModel | ReversedNoteModel | ClozeNoteModel | McqNoteModel,
    Field(discriminator="type"),
]


class DeckFileModel(_Model):
    """A quiz deck file."""

    deck: DeckMetaModel
    notes: list[NoteModel] = Field(min_length=1)


SCHEMA_ID = "https://quiz.invalid/deck.schema.json"


NOT_BLANK = r"\S"
"""What "not blank" is in a JSON Schema pattern (search semantics: one non-space)."""

CLOZE_DELETION = r"\{\{c([1-9]|[1-9][0-9]|[1-4][0-9][0-9]|500)::"
"""A cloze text holds a deletion numbered c1 to c500 (quiz.domain.cloze.MAX_NUMBER)."""


def json_schema() -> dict[str, Any]:
    """The JSON Schema of deck files, for editors and other tools.

    Generated from the models, then made to say what the validators say in words a
    plain JSON Schema validator understands: pydantic's discriminated union becomes an
    ``if``/``then`` per note type (standard validators ignore OpenAPI's
    ``discriminator`` and, with ``oneOf``, report a valid note's keys as not allowed
    by the other types), texts may not be blank, a cloze needs a deletion, and an
    MCQ has exactly one correct option. What a schema cannot say (ids unique, cloze
    braces balanced) stays `quiz check`'s alone; tests/unit/test_schema_agreement.py
    holds the two to the same verdict on a corpus of decks.
    """
    schema = DeckFileModel.model_json_schema()
    defs: dict[str, Any] = schema["$defs"]
    _not_blank_texts(schema)
    kinds = {"basic": "BasicNoteModel", "reversed": "ReversedNoteModel"}
    kinds |= {"cloze": "ClozeNoteModel", "mcq": "McqNoteModel"}
    schema["properties"]["notes"]["items"] = {
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"enum": list(kinds)}},
        "allOf": [
            {
                "if": {"properties": {"type": {"const": kind}}, "required": ["type"]},
                "then": {"$ref": f"#/$defs/{name}"},
            }
            for kind, name in kinds.items()
        ],
    }
    text = defs["ClozeNoteModel"]["properties"]["text"]
    text["allOf"] = [{"pattern": text.pop("pattern")}, {"pattern": CLOZE_DELETION}]
    options = defs["McqNoteModel"]["properties"]["options"]
    options["contains"] = {"properties": {"correct": {"const": True}}, "required": ["correct"]}
    options["minContains"] = 1
    options["maxContains"] = 1
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def _not_blank_texts(node: Any) -> None:
    """Every `Text` (a string of 1 to 50,000 characters) must hold a non-space."""
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("maxLength") == 50_000:
            node["pattern"] = NOT_BLANK
        for value in node.values():
            _not_blank_texts(value)
    elif isinstance(node, list):
        for value in node:
            _not_blank_texts(value)


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=False) + "\n"
