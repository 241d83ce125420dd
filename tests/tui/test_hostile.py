"""A deck written to break the screen renders as literal text instead."""

from __future__ import annotations

from pathlib import Path

import yaml

from quiz.tui import make_app
from quiz.tui.screens.review import ReviewScreen
from tests.tui.conftest import FakeMonotonic, MakeQuiz, log, press, screen_text

MARKUP = "Markup [bold]x[/] and [link=http://x]y[/link] [red]r"
LONG = "x" * 10_000


def hostile_deck(tmp_path: Path) -> Path:
    deck = {
        "deck": {"id": "hostile", "title": "[b]Hostile[/b] deck", "version": 1},
        "notes": [
            {
                "id": "markup",
                "type": "basic",
                "front": MARKUP,
                "back": "ANSI \x1b[31mred\x1b[0m bell\x07 C1 \x9b2J \u202eevil\u202c "
                "RTL שלום zero\u200bwidth",
                "extra": "[/] unbalanced [/bold] close",
            },
            {"id": "long", "type": "basic", "front": "Long line follows", "back": LONG},
            {
                "id": "choice",
                "type": "mcq",
                "stem": "[i]Which[/i]?",
                "options": [
                    {"text": "[green]right", "correct": True, "explanation": "\x1b]8;;x\x07"},
                    {"text": "wrong [/]", "explanation": "[link=http://x]no[/link]"},
                ],
            },
        ],
    }
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(deck, allow_unicode=True), encoding="utf-8")
    return path


async def test_hostile_text_is_shown_literally(tmp_path: Path, make_tiny: MakeQuiz) -> None:
    quiz = make_tiny(hostile_deck(tmp_path))
    app = make_app(quiz, ["hostile"], monotonic=FakeMonotonic(), start_review=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "space", "i")
        text = screen_text(app)
        assert MARKUP in text
        assert "[b]Hostile[/b] deck" in text
        assert "ANSI ␛[31mred␛[0m bell␇ C1 \ufffd2J evil RTL שלום zero" in text
        assert "[/] unbalanced [/bold] close" in text

        await press(pilot, "3", "space")
        lines = screen_text(app).splitlines()
        assert len(lines) == 24
        assert all(len(line) <= 80 for line in lines)
        wrapped = [line.strip() for line in lines if line.strip().startswith("xxxx")]
        assert len(wrapped) > 5  # folded over many lines, not cut or overflowing
        assert all(len(line) <= 76 for line in wrapped)

        await press(pilot, "3", "a")
        text = screen_text(app)
        assert "[i]Which[/i]?" in text
        assert "✓ a  [green]right" in text
        assert "␛]8;;x␇" in text
        assert "[link=http://x]no[/link]" in text
        await press(pilot, "enter")
        assert [row[1] for row in log(quiz)] == [4, 4, 4]
        assert not isinstance(app.screen, ReviewScreen)
