"""Key paths in a parsed deck: how messages name them, and the diagnostics that carry them."""

from __future__ import annotations

from typing import Any

from quiz.decks.diagnostics import Diagnostic, Severity
from quiz.decks.yamlmarks import Located, Mark, Path


def diag(
    name: str, mark: Mark, path: str, message: str, severity: Severity = Severity.ERROR
) -> Diagnostic:
    """A diagnostic at mark in the file ``name``."""
    return Diagnostic(name, mark.line, mark.column, severity, path, message)


def format_path(path: Path, located: Located | None = None) -> str:
    """Render a key path like notes[3].options[0].text, naming the note's id when known."""
    out = ""
    for i, part in enumerate(path):
        if isinstance(part, int):
            out += f"[{part}]"
            if located is not None and path[:i] == ("notes",):
                note = value_at(located.value, path[: i + 1])
                if isinstance(note, dict) and isinstance(note.get("id"), str):
                    out += f"({note['id']})"
        else:
            out += f".{part}" if out else part
    return out


def value_at(value: Any, path: Path) -> Any:
    """The value at path, or None where the document has none."""
    for part in path:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value
