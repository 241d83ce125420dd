"""Snapshots of every screen at 80x24: home, each card type's front and back, summary, help.

Regenerate after a deliberate change with ``pytest tests/tui --snapshot-update``
and look at the SVGs in ``__snapshots__`` before committing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from quiz.services.context import Quiz
from quiz.tui import QuizApp, make_app
from tests.tui.conftest import FakeMonotonic, only, press, settle

SnapCompare = Callable[..., bool]


def keys(*pressed: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await press(pilot, *pressed)
        await settle(pilot)

    return run_before


def one_card(quiz: Quiz, ref: str) -> QuizApp:
    only(quiz, ref)
    return make_app(quiz, monotonic=FakeMonotonic(), start_review=True)


def test_home(snap_compare: SnapCompare, app: QuizApp) -> None:
    assert snap_compare(app, terminal_size=(80, 24), run_before=keys())


@pytest.mark.parametrize(
    ("ref", "pressed"),
    [
        ("tiny:capital:0", ()),
        ("tiny:capital:0", ("space",)),
        ("tiny:water:1", ()),
        ("tiny:water:1", ("space",)),
        ("tiny:sodium:2", ()),
        ("tiny:sodium:2", ("space",)),
        ("tiny:vignette:0", ()),
        ("tiny:vignette:0", ("b",)),
    ],
    ids=[
        "basic-front",
        "basic-back",
        "reversed-front",
        "reversed-back",
        "cloze-front",
        "cloze-back",
        "mcq-front",
        "mcq-back-wrong",
    ],
)
def test_review(snap_compare: SnapCompare, tiny: Quiz, ref: str, pressed: tuple[str, ...]) -> None:
    assert snap_compare(one_card(tiny, ref), terminal_size=(80, 24), run_before=keys(*pressed))


def test_review_light_theme_with_details(snap_compare: SnapCompare, tiny: Quiz) -> None:
    app = one_card(tiny, "tiny:capital:0")
    app.theme = "textual-light"
    assert snap_compare(app, terminal_size=(80, 24), run_before=keys("space", "i"))


def test_summary(snap_compare: SnapCompare, tiny: Quiz) -> None:
    app = make_app(tiny, monotonic=FakeMonotonic(step=6.5))
    first = ("enter", "space", "3", "space", "1", "space", "3", "b", "enter")
    pressed = (*first, "space", "3", "space", "3")  # then the two re-drills
    assert snap_compare(app, terminal_size=(80, 24), run_before=keys(*pressed))


def test_help(snap_compare: SnapCompare, app: QuizApp) -> None:
    assert snap_compare(app, terminal_size=(80, 24), run_before=keys("question_mark"))
