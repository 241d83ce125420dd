"""Deck text made safe to print: control characters, escapes and bidi overrides neutralised.

Deck files are written by anyone. Whatever they contain must appear as the
characters it is: never as a terminal escape sequence, never reordered by
bidirectional overrides, never as a surrogate that cannot be encoded. Used by
the app and by every command that prints deck content.
"""

from __future__ import annotations

import re

TAB = "    "

# C0 controls other than newline and tab, DEL, and the C1 controls (0x80-0x9f,
# which include the 8-bit CSI); each becomes a visible stand-in.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# Embeddings, overrides and isolates reorder what follows them on screen
# ("Trojan Source"); right-to-left letters themselves are kept.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")

# Lone surrogates (from a YAML "\ud800" escape) cannot be written to a terminal.
_SURROGATE = re.compile("[\ud800-\udfff]")

_LINE_BREAKS = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"})


def _stand_in(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # Control Pictures: ESC shows as "␛"
    if code == 0x7F:
        return "\u2421"
    return "\ufffd"


def clean(value: str | None) -> str:
    """Deck text made safe to print: no control characters, escapes or bidi overrides."""
    if not value:
        return ""
    value = value.replace("\r\n", "\n").translate(_LINE_BREAKS).replace("\t", TAB)
    value = _CONTROL.sub(_stand_in, value)
    value = _BIDI.sub("", value)
    return _SURROGATE.sub("\ufffd", value)


# A cell a spreadsheet would read as a formula: "=", "+", "-" or "@" first (after any
# spaces), or a tab or carriage return first (OWASP's CSV injection rule).
_FORMULA_START = frozenset("=+-@")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def csv_cell(value: object) -> str:
    """A value made safe for a CSV file that people open in a spreadsheet.

    Text is cleaned as for a terminal (no escapes, controls or bidi overrides), then a
    cell a spreadsheet could run as a formula gets a leading ``'``, which spreadsheets
    show as text (OWASP). Plain numbers such as ``-0.25`` are left as they are: they
    cannot call anything, and quoting them would turn them into text.
    """
    text = value if isinstance(value, str) else "" if value is None else str(value)
    if _NUMBER.fullmatch(text):
        return text
    risky = text[:1] in ("\t", "\r")
    text = clean(text)
    stripped = text.lstrip()
    if risky or stripped[:1] in _FORMULA_START:
        return "'" + text
    return text
