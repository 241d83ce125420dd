"""Safe plain text for the screen: deck content with control characters and escapes neutralised.

Deck files are written by anyone. Whatever they contain must appear as the
characters it is: never as console markup (``[bold]``), never as a terminal
escape sequence, never reordered by bidirectional overrides, never as a
surrogate that cannot be encoded for the terminal.
"""

from __future__ import annotations

from rich.text import Text

from quiz.domain.text import TAB, clean

__all__ = ["TAB", "clean", "plain"]


def plain(value: str | None, style: str = "") -> Text:
    """A Rich Text of deck content, shown literally and folded when a word outgrows a line."""
    return Text(clean(value), style=style, overflow="fold", end="")
