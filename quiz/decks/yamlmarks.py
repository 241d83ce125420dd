"""The values, positions and limits shared by the two ways quiz reads YAML.

`yamlevents` builds values straight from libyaml's events (the fast path) and
`yamlnodes` composes PyYAML's node graph (the reference path, for documents with
anchors); both produce a `Located` and raise `YamlProblem`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import yaml

Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's loader, several times faster; PyYAML built without libyaml falls back."""

Path = tuple[str | int, ...]

MAX_NODES = 1_000_000
"""Values one file may hold, aliases expanded: a 10 MB deck of 80,000 short notes holds
about 500,000; stops alias bombs ("billion laughs") by their count of values."""

MAX_ALIAS_VALUES = 100_000
"""Values a file may add through aliases: a deck that aliases a shared `source:` on each
of 20,000 notes adds 60,000; a billion-laughs bomb is stopped after a fraction of a
second instead of after building ``MAX_NODES`` values."""

MAX_EXPANDED_CHARS = 10 * 1024 * 1024
"""Characters of text a file may hold once its aliases are expanded: what the largest
deck file could hold written out. Stops a long text aliased thousands of times, which
stays under ``MAX_NODES`` but would fill gigabytes of database."""


def too_many_values(limit: int) -> str:
    """The problem of a file past ``MAX_NODES`` without aliases (both paths say the same)."""
    return f"more than {limit:,} values; split the deck into smaller files"


MAX_DEPTH = 40
"""Nesting a deck never needs; stops stack exhaustion on hostile input."""

SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
# Dates and timestamps stay the text the author wrote ("version: 2026-01-05").
TEXT_TAGS = {"tag:yaml.org,2002:timestamp"}
MAP_TAG = "tag:yaml.org,2002:map"
SEQ_TAG = "tag:yaml.org,2002:seq"


@dataclass(frozen=True, slots=True)
class Mark:
    line: int
    column: int


class YamlProblem(Exception):
    """The text is not YAML a deck can be made of; carries where and why."""

    def __init__(self, mark: Mark, message: str) -> None:
        self.mark = mark
        self.message = message
        super().__init__(message)


class Position(Protocol):
    """Where the parser saw a node start (0-based), as libyaml's and PyYAML's marks say."""

    line: int
    column: int


@dataclass
class Located:
    """Plain Python data plus the source position of every key path in it."""

    value: Any
    positions: dict[Path, Position] = field(default_factory=dict)
    """The parser's own marks, kept as they are: a deck has a hundred thousand key paths
    and only the few named in a message need a `Mark`."""

    source: str = ""
    """The text parsed, so that a message can quote what the author wrote (`No`, not
    the boolean YAML made of it)."""

    def written(self, path: Path) -> str:
        """The scalar at path as written in the file (up to a comma, brace or comment)."""
        position = self.positions.get(path)
        if position is None or not self.source:
            return ""
        lines = self.source.splitlines()
        if position.line >= len(lines):
            return ""
        rest = lines[position.line][position.column :]
        if path and isinstance(path[-1], str) and rest.startswith(path[-1]):
            rest = rest[len(path[-1]) :].lstrip().removeprefix(":").lstrip()
        for stop in (",", "}", "]", " #"):
            cut = rest.find(stop)
            if cut != -1:
                rest = rest[:cut]
        return rest.strip()

    def has(self, path: Path) -> bool:
        """Whether path is in the document."""
        return path in self.positions

    def mark_for(self, path: Path) -> Mark:
        """The position of path, or of its nearest ancestor that exists."""
        for end in range(len(path), -1, -1):
            position = self.positions.get(path[:end])
            if position is not None:
                return Mark(position.line + 1, position.column + 1)
        return Mark(1, 1)
