"""`quiz preview`: every card of a deck file, browsed without a database."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from textual.widgets import Static

from quiz.cli import cli
from quiz.decks.loader import load_deck
from quiz.tui.preview import PreviewApp, deck_cards
from quiz.tui.widgets.card_view import CardView

TINY = Path(__file__).parents[1] / "fixtures" / "tiny.yaml"


def test_deck_cards_lists_every_card_including_siblings() -> None:
    cards = deck_cards(load_deck(TINY).deck)
    assert [c.ref for c in cards] == [
        "tiny:capital:0",
        "tiny:water:0",
        "tiny:water:1",
        "tiny:sodium:1",
        "tiny:sodium:2",
        "tiny:vignette:0",
    ]
    assert [c.ref for c in deck_cards(load_deck(TINY).deck, "water")] == [
        "tiny:water:0",
        "tiny:water:1",
    ]


def status(app: PreviewApp) -> str:
    return str(app.query_one("#preview-status").render())


async def test_browse_flip_and_answer_a_multiple_choice_card() -> None:
    app = PreviewApp(deck_cards(load_deck(TINY).deck))
    async with app.run_test(size=(80, 24)) as pilot:
        assert status(app).startswith("1/6 · tiny:capital:0 · basic · front")
        await pilot.press("space")
        view = app.query_one(CardView)
        assert view.shown is not None and view.shown.revealed
        await pilot.pause()
        assert "Paris" in str(app.query_one(".answer", Static).render())
        await pilot.press("right", "right")
        assert status(app).startswith("3/6 · tiny:water:1 · reversed (back → front) · front")
        await pilot.press("left")
        assert status(app).startswith("2/6")
        for _ in range(4):
            await pilot.press("n")
        assert status(app).startswith("6/6 · tiny:vignette:0 · multiple choice · front")
        await pilot.press("b")  # picks option b, does not move or bury
        assert view.shown is not None and view.shown.chosen == "b" and view.shown.revealed
        await pilot.press("n")  # already at the last card: stays
        assert status(app).startswith("6/6")


def test_preview_command_errors_cleanly(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["preview", str(TINY), "--note", "nope"])
    assert result.exit_code == 1
    assert "no note with id 'nope'" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("deck: {id: x, title: X}\nnotes: []\n")
    result = CliRunner().invoke(cli, ["preview", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:2:1: error: notes: needs at least 1 item(s)" in result.output  # the key's line
    result = CliRunner().invoke(cli, ["preview", str(TINY)])
    assert result.exit_code == 1
    assert "needs an interactive terminal" in result.output


@pytest.mark.parametrize("args", [["--help"], ["preview", "--help"]])
def test_help_works(args: list[str]) -> None:
    assert CliRunner().invoke(cli, args).exit_code == 0


def test_preview_shuffles_options_as_a_learner_would_see_them() -> None:
    from datetime import date, timedelta

    deck = load_deck(TINY).deck
    plain = [o.text for o in deck_cards(deck, "vignette")[0].face.options]
    orders = set()
    for days in range(6):
        day = date(2026, 12, 1) + timedelta(days=days)
        (card,) = deck_cards(deck, "vignette", day=day)
        shown = [o.text for o in card.face.options]
        assert sorted(shown) == sorted(plain)
        assert card.face.option_for(card.face.correct_letter or "") == next(
            o for o in card.face.options if o.correct
        )
        orders.add(tuple(shown))
    assert len(orders) > 1
