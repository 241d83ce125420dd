"""`quiz stats`: text for 80 columns and JSON, on a history built with a fixed clock.

The command runs against the same database as the history, with Quiz.open patched to
use the test's clock, so "today" is fixed. Filtering with --deck tiny keeps the figures
independent of the bundled decks that `quiz` imports on start.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from quiz.cli import cli
from quiz.services import Quiz
from quiz.services.review import ReviewSession
from tests.conftest import TINY, FakeClock


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> Path:
    for var in ("QUIZ_DB", "QUIZ_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("QUIZ_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("QUIZ_LEARNER", "ann")
    opener = Quiz.open.__func__  # type: ignore[attr-defined]

    def at_fixed_time(cls: type[Quiz], /, url: str, **options: Any) -> Quiz:
        return opener(cls, url, **{**options, "clock": clock, "tz": UTC})  # type: ignore[no-any-return]

    monkeypatch.setattr(Quiz, "open", classmethod(at_fixed_time))
    return tmp_path / "home"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def studied(home: Path, clock: FakeClock) -> Path:
    """Day 0 (Sun 22 Nov 2026): the four first cards of tiny; stats are asked on day 1."""
    assert run("import", str(TINY)).exit_code == 0
    quiz = Quiz.open(f"sqlite:///{home / 'quiz.sqlite3'}", learner="ann")
    try:
        session = ReviewSession.start(quiz, ["tiny"])
        for quality in (5, 2, 4, 5, 4):  # capital, water:0 (fails), sodium:1, vignette, water:0
            session.answer(quality, duration_ms=12_000)
        assert session.current() is None
    finally:
        quiz.close()
    clock.advance(days=1)
    assert clock.now == datetime(2026, 11, 23, 12, tzinfo=UTC)
    return home


def test_text_report_fits_80_columns_and_shows_each_section(studied: Path) -> None:
    result = run("stats", "--deck", "tiny")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[0] == "Statistics: deck tiny · Monday 23 November 2026"
    text = result.output
    assert "Reviews   5 answers on 1 day in the past year" in text
    assert "Streak    1 day (longest 1)" in text  # today is not over yet
    assert "Due       4 in the next 30 days (0 overdue)" in text
    # water:1 and sodium:2 are new; the four cards learned yesterday are due.
    assert "Today     2 new · 4 reviews · 0 re-drill left to study" in text
    assert "Cards     6 live: 2 new · 0 learning · 4 young · 0 mature" in text
    assert "  young        –        0/0     –        0/0     –        0/0" in text
    assert "  2.18      0       1d  tiny:water:0" in text  # 2.50 - 0.32 for the failure
    assert "Time      1 min in the last 30 days · 12.0 s per answer" in text
    # The heatmap's row for Sundays ends with yesterday's only level-4 day.
    sunday = next(line for line in lines if line.startswith("Sun "))
    assert sunday.endswith("█")


def test_json_report(studied: Path) -> None:
    result = run("stats", "--deck", "tiny", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["today"] == "2026-11-23" and data["deck"] == "tiny"
    assert data["activity"]["days"] == [{"day": "2026-11-22", "answers": 5}]
    assert data["forecast"]["due"][0] == 4 and data["forecast"]["total"] == 4
    assert data["load"] == {"new": 2, "reviews": 4, "redrill": 0, "total": 6}
    assert data["cards"]["young"] == 4 and data["cards"]["new"] == 2
    assert data["retention"][0]["all"] == {"passed": 0, "total": 0, "rate": None}
    assert [h["ref"] for h in data["hardest_cards"]] == ["tiny:water:0"]
    assert data["time"]["total_seconds"] == 60


def test_tag_filter(studied: Path) -> None:
    data = json.loads(run("stats", "--deck", "tiny", "--tag", "chem", "--json").stdout)
    # chem: water (2 cards) and sodium (2 cards); day 0 answered water:0 twice and sodium:1.
    assert data["tag"] == "chem" and data["activity"]["days"][0]["answers"] == 3
    assert data["cards"]["total"] == 4


def test_unknown_deck_or_tag_exits_1_with_a_message(studied: Path) -> None:
    result = CliRunner().invoke(cli, ["stats", "--deck", "nope"])
    assert result.exit_code == 1
    assert "quiz: error: no deck with id 'nope'; `quiz decks` lists them" in result.output
    result = CliRunner().invoke(cli, ["stats", "--tag", "no::such"])
    assert result.exit_code == 1
    assert "no note has the tag 'no::such'" in result.output
    assert "Traceback" not in result.output
