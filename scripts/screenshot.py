"""Save SVG screenshots of the app for the README: docs/home.svg and docs/review.svg.

Runs the real app headless at 80x24 on a temporary database with a small deck,
a fixed clock and fixed answer times, so the pictures change only when the app
does.

    .venv/bin/python scripts/screenshot.py [--out docs] [--deck tests/fixtures/tiny.yaml]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

from quiz.services.context import Quiz
from quiz.services.decks import import_files
from quiz.tui import QuizApp, make_app

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
SIZE = (80, 24)


async def shoot(app: QuizApp, out: Path) -> list[Path]:
    saved: list[Path] = []
    async with app.run_test(size=SIZE) as pilot:

        async def settle() -> None:
            await pilot.pause()
            while any(worker.is_running for worker in app.workers):
                await app.workers.wait_for_complete()
                await pilot.pause()

        async def press(*keys: str) -> None:
            await settle()
            for key in keys:
                await pilot.press(key)
                await settle()

        def save(name: str) -> None:
            app.save_screenshot(name, str(out))
            saved.append(out / name)

        await press("enter", "space", "3", "space", "3", "space", "1", "a")
        save("review.svg")
        await press("enter", "space", "3", "enter")
        save("home.svg")
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--deck", type=Path, default=ROOT / "tests" / "fixtures" / "tiny.yaml")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        quiz = Quiz.open(
            f"sqlite:///{Path(tmp) / 'quiz.sqlite3'}",
            learner="student",
            clock=lambda: NOW,
            tz=UTC,
        )
        try:
            import_files(quiz, [args.deck])
            ticks = count(0, 4)  # every card takes four seconds
            app = make_app(quiz, monotonic=lambda: float(next(ticks)))
            for path in asyncio.run(shoot(app, args.out)):
                print(path)
        finally:
            quiz.close()


if __name__ == "__main__":
    main()
