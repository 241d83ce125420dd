"""Deck text is shown as the characters it is: markup, escapes and controls neutralised."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quiz.tui.text import clean, plain


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("[bold]x[/]", "[bold]x[/]"),
        ("\x1b[31mred\x1b[0m", "␛[31mred␛[0m"),
        ("bell\x07 nul\x00", "bell␇ nul␀"),
        ("csi\x9b31m", "csi\ufffd31m"),
        ("del\x7f", "del␡"),
        ("a\r\nb\rc\u2028d", "a\nb\nc\nd"),
        ("tab\there", "tab    here"),
        ("\u202eevil\u202c \u2067iso\u2069", "evil iso"),
        ("RTL שלום zero\u200bwidth", "RTL שלום zero\u200bwidth"),
        ("lone \ud800 surrogate", "lone \ufffd surrogate"),
        (None, ""),
    ],
)
def test_clean(raw: str | None, shown: str) -> None:
    assert clean(raw) == shown


@given(st.text())
def test_cleaned_text_has_no_controls_and_encodes(raw: str) -> None:
    out = clean(raw)
    out.encode("utf-8")
    assert not any(ord(c) < 0x20 and c != "\n" for c in out)
    assert not any(0x7F <= ord(c) <= 0x9F for c in out)
    assert "\x1b" not in out


def test_plain_is_never_parsed_as_markup() -> None:
    text = plain("[bold]x[/] [link=http://x]y[/link]")
    assert text.plain == "[bold]x[/] [link=http://x]y[/link]"
    assert text.spans == []
